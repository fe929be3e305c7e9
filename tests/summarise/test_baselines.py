"""Extractive baselines: lead-1 and TextRank are deterministic and use the project's splitter."""

from __future__ import annotations

from accord import paths
from accord.summarise.baselines import Lead1Summariser, TextRankSummariser


def test_lead1_uses_the_cleaned_first_sentence() -> None:
    doc = (paths.SEEDS_DIR / "001_7a087df03baec5be.txt").read_text(encoding="utf-8")
    (summary,) = Lead1Summariser().summarise([doc])
    assert summary.startswith("President Lương Cường met with Speaker") and "HÀ NỘI" not in summary
    assert Lead1Summariser().summarise([""]) == [""]


def test_textrank_picks_the_central_sentence_deterministically() -> None:
    doc = ("Trade between the two countries grew fast. The ministers discussed trade, investment and ports. "
           "Investment in ports will rise. The weather was sunny.")
    first = TextRankSummariser().summarise([doc])
    assert first == TextRankSummariser().summarise([doc])
    assert first == ["The ministers discussed trade, investment and ports."]
    assert TextRankSummariser().summarise(["One sentence only."]) == ["One sentence only."]
