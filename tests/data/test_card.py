"""The committed dataset card is exactly what the data generates."""

from __future__ import annotations

import pytest

from accord import paths
from accord.data.card import render_card


@pytest.mark.usefixtures("xsum_file")  # the card counts the XSum rows too
def test_dataset_card_is_up_to_date() -> None:
    assert paths.DATASET_CARD.read_text(encoding="utf-8") == render_card(), "run `accord data card`"


def test_every_labelled_round_has_its_agreement_and_use_in_the_card(tmp_path) -> None:
    from dataclasses import replace

    from accord.data.card import _rounds_section
    from accord.data.config import DataConfig

    lines = "\n".join(_rounds_section(DataConfig()))
    assert "`round5/`" in lines and "second real test set" in lines and "`round6/`" in lines
    assert "trains only where a config names it" in lines
    named = "\n".join(_rounds_section(replace(DataConfig(), train_rounds="data/real/round6")))
    assert "joins real_train in this config" in named
    assert _rounds_section(replace(DataConfig(), real_articles_path=str(tmp_path / "articles.jsonl"))) == []
