"""The committed dataset card is exactly what the data generates."""

from __future__ import annotations

import pytest

from accord import paths
from accord.data.card import render_card


@pytest.mark.usefixtures("xsum_file")  # the card counts the XSum rows too
def test_dataset_card_is_up_to_date() -> None:
    assert paths.DATASET_CARD.read_text(encoding="utf-8") == render_card(), "run `accord data card`"
