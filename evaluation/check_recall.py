"""How much of what blind readers found the brief checks catch: recall and false flags per audit sheet.

    python evaluation/check_recall.py                     # all sheets in evaluation/audit/ -> reports/check_recall.md
    python evaluation/check_recall.py --eval-runs RUN_ID…  # also: the fallback rate of logged evaluation runs

A brief shows a summary only when :func:`accord.summarise.guard.soundness_problems` finds nothing, so a reader's
wrong role, fact or inversion in a summary that passes the checks is one a brief would show. For each audit sheet
and each system it compares (lead-1, where it is one, is a control: it copies the source, so every flag on it is a
false one) this counts the reader's errors, how many of those summaries the checks flag, and the flags on summaries
the reader found clean. Checks are developed on the validation sheets; the test sheets only measure them.
"""

from __future__ import annotations

import argparse
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from audit_summaries import AUDIT_DIR, SERIOUS

from accord import paths, storage
from accord.data.datasets import DataConfig, real_summary_datasets, second_real_test
from accord.io import write_text_atomic
from accord.summarise.evaluate import fallback_rate
from accord.summarise.guard import soundness_problems
from accord.summarise.roles import role_errors

COUNTS = ("summaries", "reader: wrong role", "role check flags them", "reader: wrong role, fact or inversion",
          "any check flags them", "shown in a brief with such an error", "reader: no error", "flagged anyway")


def sheet_summaries(folder: Path) -> dict[tuple[str, str], str]:
    """``(article id, letter) -> summary`` as the sheet shows them."""
    out, current = {}, ""
    for line in (folder / "sheet.md").read_text(encoding="utf-8").splitlines():
        if m := re.match(r"## \d+\. (\S+)", line):
            current = m.group(1)
        elif m := re.match(r"- \*\*([AB])\*\*: (.*)", line):
            out[(current, m.group(1))] = m.group(2)
    return out


def system_labels(folder: Path, system: str) -> Iterator[tuple[dict[str, Any], str]]:
    """``(reader's label, summary)`` for each of ``system``'s summaries on an audit sheet (the key maps letters)."""
    key = json.loads((folder / "key.json").read_text(encoding="utf-8"))["key"]
    summaries = sheet_summaries(folder)
    for line in (folder / "labels.jsonl").read_text(encoding="utf-8").splitlines():
        label = json.loads(line)
        if key[label["id"]][label["letter"]] == system:
            yield label, summaries[(label["id"], label["letter"])]


def sheet_systems(folder: Path) -> list[str]:
    """The systems an audit sheet compares, as its key names them (champion and lead1, v1 and v3, ...)."""
    key = json.loads((folder / "key.json").read_text(encoding="utf-8"))["key"]
    return sorted({system for letters in key.values() for system in letters.values()})


def logged_predictions(run_id: str) -> dict[str, str]:
    """``id -> prediction`` of a logged evaluation run's samples table."""
    import mlflow

    mlflow.set_tracking_uri(storage.tracking_uri())
    table = json.loads(Path(mlflow.artifacts.download_artifacts(run_id=run_id, artifact_path="samples.json"))
                       .read_text(encoding="utf-8"))
    at, of = table["columns"].index("id"), table["columns"].index("prediction")
    return {r[at]: r[of] for r in table["data"]}


def sheet_counts(folder: Path, documents: dict[str, str], system: str) -> dict[str, int]:
    counts = dict.fromkeys(COUNTS, 0)
    for label, summary in system_labels(folder, system):
        source = documents[label["id"]]
        flagged, role = bool(soundness_problems(summary, source)), bool(role_errors(summary, source))
        serious = any(label[e] for e in SERIOUS)
        clean = not any(v is True for v in label.values())
        for name, hit in zip(COUNTS, (True, label["wrong_role"], label["wrong_role"] and role, serious,
                                      serious and flagged, serious and not flagged, clean, clean and flagged),
                             strict=True):
            counts[name] += bool(hit)
    return counts


def eval_run_fallback(run_id: str, documents: dict[str, str]) -> tuple[int, int, int]:
    """(summaries, flagged by the checks, flagged by the role check) of a logged evaluation run's samples table."""
    logged = logged_predictions(run_id)
    preds, docs = list(logged.values()), [documents[i] for i in logged]
    return (len(preds), round(fallback_rate(preds, docs) * len(preds)),
            sum(bool(role_errors(p, s)) for p, s in zip(preds, docs, strict=True)))


def report(run_ids: list[str]) -> str:
    data = real_summary_datasets(DataConfig())
    documents = {r["id"]: r["document"] for split in ("validation", "test") for r in data[split].to_list()}
    documents |= {r["id"]: r["document"] for r in second_real_test(DataConfig())}  # the test-2 sheet's articles
    lines = ["# Brief checks against blind readers", "", __doc__.split("\n\n", 2)[2].strip(), "",
             "| sheet | system | " + " | ".join(COUNTS) + " |", "|---" * (len(COUNTS) + 2) + "|"]
    for folder in sorted(p for p in AUDIT_DIR.iterdir() if (p / "labels.jsonl").exists()):
        for system in sheet_systems(folder):
            c = sheet_counts(folder, documents, system)
            lines.append(f"| {folder.name} | {system} | " + " | ".join(str(c[k]) for k in COUNTS) + " |")
    if run_ids:
        lines += ["", "| evaluation run | summaries | brief fallback (any check) | role check |", "|---|---|---|---|"]
        for run_id in run_ids:
            n, flagged, role = eval_run_fallback(run_id, documents)
            lines.append(f"| {run_id} | {n} | {flagged} ({flagged / n:.1%}) | {role} ({role / n:.1%}) |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--eval-runs", nargs="*", default=[], help="MLflow runs of `accord evaluate summariser`")
    parser.add_argument("--report", default="check_recall", help="evaluation/reports/<report>.md")
    args = parser.parse_args()
    try:
        text = report(args.eval_runs)
    except Exception as exc:  # a run id that is not in the store, an audit sheet that cannot be read: one line
        raise SystemExit(f"error: {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}") from None
    write_text_atomic(paths.REPORTS_DIR / f"{args.report}.md", text)
    print(text)
