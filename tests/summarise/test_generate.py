"""The sliced-head greedy decoder gives the outputs of the full-head constrained decoder, and stops loops."""

from __future__ import annotations

from pathlib import Path

import pytest

from accord.summarise.config import SummariserConfig
from accord.summarise.decoding import common_vocabulary
from accord.summarise.model import NeuralSummariser
from tests.conftest import make_config

DOCS = ["The two ministers met in Hanoi on 12 May and agreed to expand trade, investment and education links.",
        "Coast guards of both countries will hold a joint exercise in 2026 and share maritime data.",
        "The leaders discussed visas for 3,000 workers, tourism, and a new university scholarship fund."]


def _summariser(base: Path, **over: object) -> NeuralSummariser:
    cfg = make_config(SummariserConfig, family="causal", base_model=str(base), max_new_tokens=12,
                      max_source_tokens=64, **over)
    summ = NeuralSummariser(cfg).build(lora=False)
    summ.common_ids = common_vocabulary(summ.tokenizer, ["the ministers met and agreed to expand trade links ."])
    return summ


@pytest.mark.parametrize("batch", [1, 3])
def test_sliced_head_matches_the_full_head(tiny_causal_lm: Path, batch: int) -> None:
    full = _summariser(tiny_causal_lm, sliced_head=False, generate_batch_size=batch)
    fast = _summariser(tiny_causal_lm, sliced_head=True, no_repeat_words=False, generate_batch_size=batch)
    assert fast.summarise(DOCS) == full.summarise(DOCS)


def test_no_repeat_words_bans_a_second_use() -> None:
    from accord.summarise.generate import SlicedGreedy

    decoder = SlicedGreedy.__new__(SlicedGreedy)
    decoder.no_repeat_words = True
    assert decoder._repeats_word("they discussed trade, investment, trade", ",")
    assert not decoder._repeats_word("they discussed trade, investment, trad", "e")  # the word is still growing
    assert not decoder._repeats_word("the sides discussed cooperation and cooperation", " ")  # too common to count
    assert not decoder._repeats_word("they discussed trade, investment", ",")


def test_copy_roles_refuses_to_finish_a_name_with_an_office_or_country_the_source_does_not_give() -> None:
    from accord.summarise.generate import SlicedGreedy
    from accord.summarise.roles import people

    source = ("Indian External Affairs Minister S Jaishankar met Omani Foreign Minister Sayyid Badr Albusaidi in "
              "Muscat. Saudi Crown Prince Mohammed bin Salman received him later.")
    decoder = SlicedGreedy.__new__(SlicedGreedy)
    decoder.people = [people(source)]
    assert decoder._wrong_role(0, "Omani Foreign Minister S Jaishankar", " met")  # his country is India
    assert decoder._wrong_role(0, "Prime Minister Mohammed bin Salman", ".")  # an office he is not given
    assert not decoder._wrong_role(0, "Indian External Affairs Minister S Jaishankar", " met")
    assert not decoder._wrong_role(0, "Omani Foreign Minister S Jaish", "ankar")  # inside a word: not checked
    assert decoder._wrong_role(0, "Omani Foreign Minister S", " Jaish")  # refused before the name is written ...
    assert not decoder._wrong_role(0, "Omani Foreign Minister", " Sayyid")  # ... the right person is open
    assert not decoder._wrong_role(0, "Jaishankar met Foreign Minister Sayyid Badr Albusaidi", " in")
    decoder.people = None  # copy_roles off
    assert not decoder._wrong_role(0, "Omani Foreign Minister S Jaishankar", " met")


def test_a_dead_end_ends_the_summary_before_its_unfinished_item() -> None:
    from types import SimpleNamespace

    from accord.summarise.generate import SlicedGreedy, _Row

    pieces = {1: "They met", 2: ",", 3: " discussing trade", 4: ",", 5: " Kuwait", 6: "'"}
    decoder = SimpleNamespace(words=SimpleNamespace(piece=pieces.__getitem__))
    row = _Row(ids=[1, 2, 3, 4, 5, 6], text="They met, discussing trade, Kuwait'")
    SlicedGreedy._cut(decoder, row)
    assert row.ids == [1, 2, 3] and row.text == "They met, discussing trade"
    early = _Row(ids=[1, 2, 5, 6, 3], text="They met, Kuwait' discussing trade")  # its only comma is too early
    SlicedGreedy._cut(decoder, early)
    assert early.ids == [1, 2, 5, 6, 3]


def test_ranked_gives_every_position_once_in_descending_order() -> None:
    """The lazy ranking (topk first, the full sort only past it) is the full descending sort."""
    import torch

    from accord.summarise import generate

    scores = torch.randn(100, generator=torch.Generator().manual_seed(0))
    ranked = generate._ranked(scores)
    assert [next(ranked) for _ in range(5)] == scores.argsort(descending=True)[:5].tolist()
    assert list(generate._ranked(scores)) == scores.argsort(descending=True).tolist()
    assert list(generate._ranked(torch.tensor([0.5, 2.0]))) == [1, 0]  # fewer scores than RANKED_FIRST

