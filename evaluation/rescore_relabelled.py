"""A logged classifier run's real-split scores under relabelled gold, from its recorded predictions.

    python evaluation/rescore_relabelled.py --procedure security_2026-12-03 --run v7=RUN_ID --run v2=RUN_ID
        [--artifacts DIR ...]   # the runs' artifact folders, looked up in turn

A training run records every misclassified sentence of each split with its prediction (``eval/<split>/
misclassified.json``); every other sentence was predicted as its gold was then. So the predictions are rebuilt
without running the model, and scored against the gold the run saw (the labels a relabelling ``procedure``
replaced, kept in each row's ``relabel`` record) and against today's gold: the change in the labels, shown apart
from any model. Writes ``evaluation/reports/relabelled_<procedure>.md``. Only for runs scored on the gold just
before the procedure and on today's splits: a run of an older gold, or of a smaller validation split, would have
its correct sentences rebuilt with labels it never saw.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from accord import paths
from accord.classify.evaluate import recorded_predictions
from accord.classify.metrics import multilabel_metrics
from accord.io import iter_jsonl, write_text_atomic
from accord.labels import LABELS, to_multi_hot

SPLITS = ("real_validation", "real_test")


def gold_then_and_now(procedure: str) -> tuple[dict[str, list[str]], dict[str, list[str]], dict[str, str]]:
    """Per sentence id: the gold before ``procedure``, today's gold, and the split of its article."""
    real = paths.DATA_DIR / "real"
    splits = json.loads((real / "splits.json").read_text(encoding="utf-8"))
    split_of = {aid: name for name in SPLITS for aid in splits[name]}
    then, now, split = {}, {}, {}
    for _, row in iter_jsonl(real / "sentences.jsonl", []):
        record = row.get("relabel", {})
        then[row["id"]] = record["labels_replaced"] if record.get("procedure") == procedure else row["labels"]
        now[row["id"]], split[row["id"]] = row["labels"], split_of.get(row["article_id"], "real_train")
    return then, now, split


def predictions(run_dir: Path, name: str, then: dict[str, list[str]], ids: list[str]) -> np.ndarray:
    """The run's labels for ``ids``: its recorded prediction where it erred, else the gold it was scored on."""
    recorded = recorded_predictions(run_dir, name, {i: then[i] for i in ids})
    return np.array([to_multi_hot(recorded[i]) for i in ids])


def rows_for(label: str, run_dir: Path, procedure: str) -> list[str]:
    then, now, split = gold_then_and_now(procedure)
    out = []
    for name in SPLITS:
        ids = [i for i in then if split[i] == name]
        pred = predictions(run_dir, name, then, ids)
        before, after = (multilabel_metrics(np.array([to_multi_hot(g[i]) for i in ids]), pred) for g in (then, now))
        changed = sum(sorted(then[i]) != sorted(now[i]) for i in ids)
        per_label = ", ".join(f"{before[f'f1_{lab}']:.3f} → {after[f'f1_{lab}']:.3f}" for lab in LABELS)
        out.append(f"| {label} | {name} | {len(ids)} | {changed} | {before['macro_f1']:.3f} | "
                   f"{after['macro_f1']:.3f} | {per_label} |")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--procedure", required=True, help="the relabelling's name in the rows' relabel records")
    parser.add_argument("--run", action="append", required=True, help="NAME=RUN_ID of a logged training run")
    parser.add_argument("--artifacts", action="append", help="where the runs' artifacts are (repeatable: each run is "
                        "looked up in each in turn; default: this checkout's mlartifacts/accord-classifier)")
    args = parser.parse_args()
    roots = [Path(a) for a in args.artifacts or [paths.ROOT / "mlartifacts" / "accord-classifier"]]
    lines = [f"# Real-split scores under the gold of relabelling `{args.procedure}`", "",
             "Predictions rebuilt from each run's recorded errors; no model was run, no threshold tuned again.", "",
             "| model | split | sentences | label sets changed | macro-F1, gold the run saw | macro-F1, today's gold "
             f"| per label ({', '.join(LABELS)}) |", "|---|---|---|---|---|---|---|"]
    for item in args.run:
        label, run_id = item.split("=", 1)
        run_dir = next((root / run_id for root in roots if (root / run_id).is_dir()), None)
        if run_dir is None:
            raise SystemExit(f"error: run {run_id} ({label}) is in none of {', '.join(map(str, roots))}")
        lines += rows_for(label, run_dir, args.procedure)
    out = paths.ROOT / "evaluation" / "reports" / f"relabelled_{args.procedure}.md"
    write_text_atomic(out, "\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
