"""Blind relabelling of a collection round kept apart from the corpus (docs/decisions.md): round5/ (the second real
test set) on 2026-12-03, stop 36; rounds 5, 6, 8, 9 and 10 on 2026-12-05, stops 46 and 47.

A round labelled before a corpus relabelling follows the guideline as it stood then. The same procedure brings it to
today's: a corpus relabelling's text-only selector picks the round's sentences it would have picked; two new
independent passes label them blind; `apply` rebuilds the round with its own builder, which replaces the gold of the
sheet's sentences (relabel.relabel_round_rows, every procedure in order) and keeps the record.

    .venv/bin/python data/real/scripts/relabel_round.py data/real/round5 select|apply [PROCEDURE]
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import relabel_field_ministers
import relabel_open_cases
import relabel_open_cases_b
import relabel_security
from relabel import ROUND_PROCEDURES, select


def _before_2026_12_03(text: str) -> bool:
    """What either of the first two corpus relabellings' selectors picks, by the text alone."""
    return relabel_field_ministers.selected(text) or relabel_security.selected(text)


SELECTORS: dict[str, Callable[[str], bool]] = {  # the work folder under the round's _label/ -> its selector
    "round_2026-12-03": _before_2026_12_03,
    "open_cases_2026-12-05": relabel_open_cases.selected,
    "open_cases_b_2026-12-05": relabel_open_cases_b.selected,
}
assert tuple(SELECTORS) == ROUND_PROCEDURES


def rebuild(folder: Path) -> None:
    """The round's own builder, which applies its relabellings."""
    if folder.name == "round5":
        from build_round import main as build

        build(folder)
    elif folder.name == "round6":
        from label_unlabelled import build

        build()
    else:
        from news_round import ROUNDS, build

        build(ROUNDS[folder.name])


def main(folder: Path, step: str, procedure: str = ROUND_PROCEDURES[-1]) -> None:
    if step == "select":
        select(folder / "_label" / procedure, SELECTORS[procedure], folder / "sentences.jsonl")
    elif step == "apply":
        rebuild(folder)
    else:
        sys.exit("usage: relabel_round.py ROUND_FOLDER select|apply [PROCEDURE]")


if __name__ == "__main__":
    if len(sys.argv) not in (3, 4) or (len(sys.argv) == 4 and sys.argv[3] not in SELECTORS):
        sys.exit(f"usage: relabel_round.py ROUND_FOLDER select|apply [{'|'.join(SELECTORS)}]")
    main(Path(sys.argv[1]), *sys.argv[2:])
