"""Titles repaired from the source, measured post hoc on real validation (the rule: docs/decisions.md, stop 53).

    python evaluation/check_repair.py sheet    # the changed summaries, original and repaired, blind: audit/repair/
    (a reader fills evaluation/audit/repair/labels.jsonl; then audit_summaries.py tally --name repair)
    python evaluation/check_repair.py report   # -> reports/confidence/check_repair.md (with the tally if labelled)

The summaries are the ones ``check_confidence.py measure`` recorded for every real-validation article (the champion,
its own decoding); :func:`accord.summarise.repair.repair_titles` changes them with the article as the source. The
report gives the role check's flag rate before and after, ROUGE-L paired over all the articles and, once a reader
has labelled the sheet, the reader's counts for the two versions of the changed summaries.
"""

from __future__ import annotations

import argparse
import json

from audit_summaries import AUDIT_DIR, tally, write_sheet
from check_confidence import MEASURED, OUT

from accord.data.datasets import DataConfig, real_summary_datasets
from accord.io import write_text_atomic
from accord.summarise.metrics import paired_difference, rouge
from accord.summarise.repair import repair_titles
from accord.summarise.roles import role_errors

NAME = "repair"  # the audit folder of the changed summaries
SEED = 0  # the A/B order of the sheet
SYSTEMS = ("original", "repaired")


def versions() -> tuple[list[dict], list[str], list[str]]:
    """The validation articles, the recorded summaries and their repaired versions, in the split's order."""
    rows = json.loads(MEASURED.read_text(encoding="utf-8"))["rows"]
    items = [r for r in real_summary_datasets(DataConfig())["validation"].to_list() if r["id"] in rows]
    original = [rows[r["id"]]["summary"] for r in items]
    return items, original, [repair_titles(s, r["document"]) for s, r in zip(original, items, strict=True)]


def sheet() -> None:
    items, original, repaired = versions()
    keep = [k for k in range(len(items)) if original[k] != repaired[k]]
    write_sheet([items[k] for k in keep], {"original": [original[k] for k in keep],
                                           "repaired": [repaired[k] for k in keep]}, SYSTEMS, AUDIT_DIR / NAME, SEED,
                {"split": "validation", "report": str(MEASURED.name)})


def report() -> str:
    items, original, repaired = versions()
    refs = [r["summary"] for r in items]
    before, after = rouge(original, refs)["rougeL"], rouge(repaired, refs)["rougeL"]
    diff = paired_difference(after, before)
    flagged = [sum(bool(role_errors(s, r["document"])) for s, r in zip(v, items, strict=True))
               for v in (original, repaired)]
    changed = sum(a != b for a, b in zip(original, repaired, strict=True))
    n = len(items)
    lines = ["# Titles repaired from the source (real validation, post hoc)", "",
             f"{n} summaries (`{MEASURED.name}`); {changed} changed by the repair. Rule: docs/decisions.md "
             "(stop 53).", "",
             "| | role check flags | ROUGE-L |", "|---|---|---|",
             f"| original | {flagged[0]} ({flagged[0] / n:.1%}) | {before.mean():.2f} |",
             f"| repaired | {flagged[1]} ({flagged[1] / n:.1%}) | {after.mean():.2f} |", "",
             f"ROUGE-L repaired minus original, paired: {diff['diff']:+.2f} [{diff['low']:+.2f}, {diff['high']:+.2f}].",
             ""]
    if (AUDIT_DIR / NAME / "labels.jsonl").exists():
        lines += ["## The reader's counts on the changed summaries", "", tally(name=NAME)]
    return "\n".join(lines) + "\n"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("what", choices=("sheet", "report"))
    args = ap.parse_args()
    if args.what == "sheet":
        sheet()
        return 0
    text = report()
    write_text_atomic(OUT / "check_repair.md", text)
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
