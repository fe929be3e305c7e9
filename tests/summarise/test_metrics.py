"""ROUGE, bootstrap CIs, faithfulness, novelty and repetition against hand-computed values."""

from __future__ import annotations

import numpy as np
import pytest

from accord.summarise.metrics import (
    bootstrap_ci,
    entity_spans,
    faithfulness,
    garbled_fragments,
    loop_problems,
    name_pair_faithfulness,
    novel_ngram_ratio,
    paired_difference,
    paired_wins,
    repeated_trigram_rate,
    rouge,
    summary_report,
)
from tests.summarise.test_roles import SOURCE


def test_rouge_by_hand() -> None:
    scores = rouge(["the cat sat"], ["the cat sat on the mat"])
    # unigrams: 3 matches, P = 3/3, R = 3/6 -> F1 = 2/3; bigrams: 2 matches, P = 2/2, R = 2/5 -> F1 = 4/7
    assert scores["rouge1"][0] == pytest.approx(100 * 2 / 3)
    assert scores["rouge2"][0] == pytest.approx(100 * 4 / 7)
    assert scores["rougeL"][0] == pytest.approx(100 * 2 / 3)
    assert scores["rougeLsum"][0] == pytest.approx(100 * 2 / 3)
    assert rouge(["Running talks."], ["run talk"])["rouge1"][0] == pytest.approx(100.0)  # stemming on
    with pytest.raises(ValueError):
        rouge(["a"], [])


def test_bootstrap_ci() -> None:
    values = np.array([1.0, 2.0, 3.0, 4.0])
    mean, low, high = bootstrap_ci(values, seed=1)
    assert mean == 2.5 and low <= mean <= high and (low, high) == bootstrap_ci(values, seed=1)[1:]
    assert bootstrap_ci(np.array([5.0, 5.0])) == (5.0, 5.0, 5.0)


def test_paired_wins_by_hand() -> None:
    assert paired_wins(np.array([2.0, 3.0]), np.array([1.0, 1.0])) == 1.0  # better on every article
    assert paired_wins(np.array([1.0, 1.0]), np.array([1.0, 1.0])) == 0.0  # a tie is not a win
    # differences +1 and -1: a resample's mean is above 0 only when both draws are the first (1 in 4)
    assert paired_wins(np.array([2.0, 0.0]), np.array([1.0, 1.0]), n=20000) == pytest.approx(0.25, abs=0.02)
    assert paired_wins(np.array([]), np.array([])) == 0.0


def test_paired_difference_by_hand() -> None:
    # every article 1 point better: the difference is 1 in every resample, whatever the articles' spread
    ours, theirs = np.array([10.0, 50.0, 90.0]), np.array([9.0, 49.0, 89.0])
    assert paired_difference(ours, theirs) == {"diff": 1.0, "low": 1.0, "high": 1.0, "wins": 1.0}
    # half the articles +2, half -2: the mean difference is 0 and the interval straddles it
    d = paired_difference(np.array([2.0, 0.0] * 20), np.array([0.0, 2.0] * 20))
    assert d["diff"] == 0.0 and d["low"] < 0 < d["high"] and 0.3 < d["wins"] < 0.7
    assert paired_wins(ours, theirs, seed=3) == paired_difference(ours, theirs, seed=3)["wins"]  # the same draws
    assert np.isnan(paired_difference(np.array([]), np.array([]))["diff"])


def test_entities_and_faithfulness_by_hand() -> None:
    assert entity_spans("The President of the Republic of Korea met Tô Lâm in Hà Nội.") == [
        "President of the Republic of Korea", "Tô Lâm", "Hà Nội"]
    source = "Tô Lâm met Woo Won Shik in Hà Nội; they set a US$150 billion trade target for 2030."
    # items: 150 (found), 2030 (found), lâm (found), seoul (missing) -> 3/4
    assert faithfulness("Lâm met in Seoul to reach 150 billion by 2030.", source) == 0.75
    # words of "Woo Won Shick" and "Hà Nội": woo, won (found), shick (misspelt), hà, nội (found) -> 4/5
    assert faithfulness("they met Woo Won Shick in Hà Nội.", source) == 0.8
    assert faithfulness("they talked about trade.", source) is None
    # a name rebuilt from real source words in a new order: word-level faithful, pair-level not
    # pairs: woo-won, won-shik, hà-nội (adjacent in the source), lâm-tô (not) -> 3/4
    assert faithfulness("Woo Won Shik met Lâm Tô in Hà Nội.", source) == 1.0
    assert name_pair_faithfulness("Woo Won Shik met Lâm Tô in Hà Nội.", source) == 0.75
    assert name_pair_faithfulness("Lâm met Woo in 2030.", source) is None  # no two-word names


def test_novelty_and_repetition() -> None:
    assert novel_ngram_ratio("a b c", "a b x") == pytest.approx(0.5)  # bigrams (a b) seen, (b c) new
    assert repeated_trigram_rate("a b c a b c") == pytest.approx(1 / 4)  # trigrams abc bca cab abc
    assert repeated_trigram_rate("two words") == 0.0


def test_summary_report_fields() -> None:
    r = summary_report(["Lâm met Woo in Hà Nội."], ["Lâm met Woo."], ["Lâm met Woo in Hà Nội on Friday."])
    assert r["n"] == 1 and r["faithfulness"] == 1.0 and r["faithfulness_checked"] == 1
    assert r["rougeL_ci_low"] <= r["rougeL"] <= r["rougeL_ci_high"] and r["length_words"] == 6


@pytest.mark.parametrize(("summary", "expected"), [
    ("They discussed trade, investment, tourism, trade and tourism, tourism and investment, trade, tourism trade.",
     ["'tourism' 4 times", "'trade' 4 times", "a list item appears twice"]),
    ("They discussed defence, defence industry, defence cooperation and defence trade.", ["'defence' 4 times"]),
    ("They agreed to expand trade, investment, defence and education cooperation.", []),
    ("Defence Minister Ahn and Defence Minister Marles discussed defence industry, drills and shipbuilding.", []),
    ("The ministers discussed the investment climate, investment in ports and investment funds.",
     ["'investment' 3 times"]),
])
def test_loop_problems(summary: str, expected: list[str]) -> None:
    assert loop_problems(summary) == expected


def test_garbled_fragments() -> None:
    source = "Prime Minister Han Duck-soo met Vietnam's leaders. President Yoon Suk Yeol met Prime Minister Kishida."
    assert garbled_fragments("Prime Minister Han Duck-soo met Vietnam's leaders.", source) == []
    got = garbled_fragments("Prime Minister Han Duck -soo met Vietnam’tam leaders on the 000-manal and the", source)
    assert got == ["broken hyphenation 'Duck -soo'", "ends on a dangling word", "not a source word: 'Vietnam’tam'",
                   "not a source word: '000-manal'"]
    assert garbled_fragments("President Yoon Suk-Yoon met Kishida.", source) == [
        "a name the source does not write: 'yoon suk yoon'"]
    assert garbled_fragments("President Yoon Yeol met Prime Minister Kishida.", source) == []  # a dropped middle name
    trade = "The leaders agreed on trade and defence cooperation and a partnership."
    assert garbled_fragments("They discussed defencecooperation and tradeandtradebilat.", trade) == [
        "glued words: 'defencecooperation'", "glued words: 'tradeandtradebilat'"]
    assert garbled_fragments("They discussed trade, defence cooperation and partnership.", trade) == []
    ends = "Tanzania's president met Mozambique's leaders and the Philippines' envoy."
    assert garbled_fragments("Tanzania's.", ends) == ["ends on a possessive with nothing after it"]
    assert garbled_fragments("They met the Philippines'.", ends) == ["ends on a possessive with nothing after it"]
    assert garbled_fragments("Tanzania's president met Mozambique's leaders.", ends) == []


def test_failure_rates_in_the_report() -> None:
    preds = ["Portuguese President Ram Nath Kovind met Marcelo Rebelo de Sousa.",
             "Indian President Ram Nath Kovind met Portuguese President Marcelo Rebelo de Sousa."]
    report = summary_report(preds, preds, [SOURCE, SOURCE])
    assert report["role_error_rate"] == 0.5 and report["loop_rate"] == 0.0 and report["clean_rate"] == 0.5
    assert report["clean_rate_ci_low"] <= 0.5 <= report["clean_rate_ci_high"]


def test_invented_topics_by_hand() -> None:
    from accord.summarise.metrics import invented_topics

    source = ("Nepal's Foreign Secretary met China's Foreign Minister in Beijing to discuss bilateral relations. "
              "China has invested heavily in Nepal's infrastructure, and the defense ministers met in May.")
    # the audited failure: "tourism" is named, the article never mentions it
    assert invented_topics("They discussed relations, infrastructure and tourism.", source) == ["tourism"]
    # other forms of a topic the source mentions are supported: investment/invested, defence/defense
    assert invented_topics("They discussed investment and defence cooperation.", source) == []
    assert invented_topics("They discussed economic cooperation.", source) == []  # framing, not a topic
    assert invented_topics("They discussed trade, visas and science.", source) == ["science", "trade", "visa"]
    report = summary_report(["They discussed tourism.", "They met."], ["x", "y"], [source, source])
    assert report["invented_topic_rate"] == 0.5


def test_invented_claims_by_hand() -> None:
    from accord.summarise.metrics import invented_claims

    source = "The ministers met in Hanoi and signed a memorandum on trade between the border provinces."
    # the validation audit's failures: a deal nobody struck, a "borderline" from "border provinces"
    assert invented_claims("They met, signing a deal on the borderline.", source) == ["borderline", "deal"]
    assert invented_claims("They met, signing a memorandum on border trade.", source) == []  # same family
    assert invented_claims("Signed deals.", "They met.") == ["deals", "signed"]
    report = summary_report(["They struck a deal.", "They met."], ["x", "y"], [source, source])
    assert report["invented_claim_rate"] == 0.5
