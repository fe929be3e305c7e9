"""Soundness checks of abstractive summaries, hand-checked."""

from __future__ import annotations

import pytest

from accord.summarise.guard import soundness_problems


@pytest.mark.parametrize(("summary", "expected"), [
    ("Speaker Woo Won Shik and President Lương Cường met in Hà Nội, discussing trade.", []),
    ("They discussed artificial intelligence (AI) and trade.", []),  # the source has "(AI)"
    ("President Cường (RoK president) met Speaker Woo.", ["'(RoK president)'"]),
    ('Vũ Văn "Hưng" Hưng met Wang Ning.', ["'\"Hưng\"'"]),  # quoted, but the source never quotes it
    ("Talks (on trade met.", ["'(on trade met.'"]),  # never closed
    ("The Korean and Korean-regional President of the Korean side met the Korean.", ["korean"]),
    ("The Korean and Korean-regional President of the Korean side met.", []),  # three times is allowed
    ("Defence ministers discussed defence, defence industry and defence cooperation, cooperation, cooperation and "
     "cooperation.", ["defence", "loop: 'defence' 3 times", "loop: a list item appears twice"]),
    ("Portuguese President Lương Cường met Speaker Woo.", []),  # the source gives Cường no country: unchecked
    ("Speaker Lương Cường met President Woo Won Shik.", ["role: Lương Cường", "role: Woo Won Shik"]),
    ("President Lương Cường met Speaker Woo Won -shik.", ["garbled: broken hyphenation"]),
    ("President Lương Cường met Speaker Woo, discussing trade and tourism.", ["never mentions: tourism"]),
])
def test_soundness_problems(summary: str, expected: list[str]) -> None:
    source = ("Speaker Woo Won Shik met President Lương Cường in Hà Nội on Friday to discuss trade, defence and "
              "artificial intelligence (AI). He said \"we are partners\".")
    problems = soundness_problems(summary, source)
    assert len(problems) == len(expected)
    for problem, part in zip(problems, expected, strict=True):
        assert part in problem
    assert soundness_problems('He said "we are partners".', source) == []


def test_brief_problems_are_the_summarisers_doubts_else_the_checks() -> None:
    from accord.summarise.guard import brief_problems

    docs = ["Viet Nam and Korea agreed to expand trade."]
    looping = ["Viet Nam and Korea agreed to expand trade, trade, trade, trade and trade."]

    class Doubting:
        def doubts(self, documents: list[str], summaries: list[str]) -> list[list[str]]:
            return [["unstable: the model's own 3 draws agree 0.20 with it (< 0.46)"]]

    class Silent:  # a served model whose doubts are none beyond the checks
        def doubts(self, documents: list[str], summaries: list[str]) -> None:
            return None

    assert brief_problems(Doubting(), docs, docs)[0][0].startswith("unstable")
    assert brief_problems(object(), docs, docs) == [[]]
    assert brief_problems(Silent(), docs, looping)[0]  # the checks still apply
