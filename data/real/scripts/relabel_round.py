"""Blind relabelling of a collection round kept apart (round5/, the second real test set; docs/decisions.md,
2026-12-03, stop 36).

The round was labelled before the corpus's two blind relabellings (field ministers; security, energy and migration),
so its gold followed the guideline as it stood then. The same procedure brings it to today's: the union of the two
relabellings' text-only selectors picks every sentence either would have picked; two new independent passes label
them blind; `apply` rebuilds the round (build_round.py), which replaces the gold of the sheet's sentences
(relabel.relabel_rows) and keeps the record.

    .venv/bin/python data/real/scripts/relabel_round.py data/real/round5 select|apply
"""

from __future__ import annotations

import sys
from pathlib import Path

import relabel_field_ministers
import relabel_security
from relabel import select

PROCEDURE = "round_2026-12-03"  # the work folder under the round's _label/, and the relabel record's procedure


def selected(text: str) -> bool:
    """What either corpus relabelling's selector picks, by the text alone."""
    return relabel_field_ministers.selected(text) or relabel_security.selected(text)


def main(folder: Path, step: str) -> None:
    work = folder / "_label" / PROCEDURE
    if step == "select":
        select(work, selected, folder / "sentences.jsonl")
    elif step == "apply":
        from build_round import main as build

        build(folder)
    else:
        sys.exit("usage: relabel_round.py ROUND_FOLDER select|apply")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: relabel_round.py ROUND_FOLDER select|apply")
    main(Path(sys.argv[1]), sys.argv[2])
