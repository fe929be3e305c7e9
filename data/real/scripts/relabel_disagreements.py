"""Blind relabelling of the real-validation sentences on which the classifiers v2, v4 and v5 of stop 41's store
disagree (docs/decisions.md, 2026-12-04, stop 42).

The student v5 lost to v2 on real validation and beat it on all three real test sets; one question is whether the
validation gold is right where the models differ. So, this once, the sentences are picked **by predictions**: every
real-validation sentence to which any two of the three runs give different label sets (each run's recorded errors
give its predictions: ``eval/real_validation/misclassified.json``; elsewhere it predicted the gold). The sheet holds
only the id, the sentence before and the text; two independent passes label it blind and `apply` replaces the gold
(steps in relabel.py). `select` needs the runs' artifacts (this store's ``mlartifacts/``); the sheet it wrote is
kept, so `apply` does not.

    .venv/bin/python data/real/scripts/relabel_disagreements.py select RUN_ID RUN_ID RUN_ID
    .venv/bin/python data/real/scripts/relabel_disagreements.py apply
"""

from __future__ import annotations

import json
import sys
from itertools import combinations

from relabel import REAL, SENTENCES, apply, read, select

from accord.classify.evaluate import recorded_predictions
from accord.paths import ROOT

PROCEDURE = "disagreements_2026-12-04"
WORK = REAL / "_label" / PROCEDURE
ARTIFACTS = ROOT / "mlartifacts" / "accord-classifier"


def predicted(run_id: str, gold: dict[str, list[str]]) -> dict[str, frozenset[str]]:
    """A run's label set per real-validation sentence: its recorded prediction where it erred, else the gold."""
    recorded = recorded_predictions(ARTIFACTS / run_id, "real_validation", gold)
    return {i: frozenset(labels) for i, labels in recorded.items()}


def disagreement_ids(run_ids: list[str]) -> set[str]:
    splits = json.loads((REAL / "splits.json").read_text(encoding="utf-8"))
    validation = set(splits["real_validation"])
    gold = {r["id"]: r["labels"] for r in read(SENTENCES) if r["article_id"] in validation}
    runs = [predicted(run_id, gold) for run_id in run_ids]
    return {i for i in gold for a, b in combinations(runs, 2) if a[i] != b[i]}


def main() -> None:
    step = sys.argv[1] if len(sys.argv) > 1 else ""
    if step == "select" and len(sys.argv) > 3:
        try:
            chosen = disagreement_ids(sys.argv[2:])
        except FileNotFoundError as exc:  # a run id with no recorded errors in this store: one line naming the file
            sys.exit(f"error: no recorded predictions: {exc.filename}")
        select(WORK, lambda text: False, SENTENCES, ids=chosen)
    elif step == "apply":
        apply(WORK, PROCEDURE)
    else:
        sys.exit("usage: select RUN_ID RUN_ID [RUN_ID…] | apply")


if __name__ == "__main__":
    main()
