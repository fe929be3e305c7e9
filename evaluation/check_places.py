"""A meeting-place check for briefs, measured against the readers of the validation audit sheets (not adopted; the
rule and the outcome are in docs/decisions.md): how many of the serious errors a brief shows today it would catch,
and how many sound summaries it would send to the extract.

    python evaluation/check_places.py
"""

from __future__ import annotations

import json
import re

from audit_summaries import AUDIT_DIR, SERIOUS
from check_recall import system_labels

from accord import paths
from accord.data.datasets import DataConfig, real_summary_datasets
from accord.summarise.config import GenerationArguments
from accord.summarise.guard import soundness_problems
from accord.summarise.rerank import agreement
from accord.text import split_sentences

SHEETS = ("validation", "validation-2", "validation-3")
MONTHS = frozenset({"January", "February", "March", "April", "May", "June", "July", "August", "September",
                    "October", "November", "December"})
NAME = r"[A-Z][\w'’.-]*"
PLACE = re.compile(rf"\b(?:in|at)\s+(?:the\s+)?({NAME}(?:\s+(?:of\s+|the\s+|and\s+)*{NAME})*)")


def places(summary: str) -> list[str]:
    """The capitalised names a summary puts after "in" or "at" (months and years left out)."""
    found = [m.group(1).rstrip(".,;:'’") for m in PLACE.finditer(summary)]
    return [x for x in found if x.split()[0] not in MONTHS and not x.isdigit()]


def unsupported(summary: str, source: str, variant: str) -> list[str]:
    """(a) the source never writes "in X"/"at X"; (b) X is not in the source's first two sentences."""
    if variant == "a":
        return [x for x in places(summary) if not re.search(rf"\b(?:in|at)\s+(?:the\s+)?{re.escape(x)}", source)]
    head = " ".join(split_sentences(source)[:2])
    return [x for x in places(summary) if x not in head]


def main() -> None:
    docs = {r["id"]: r["document"] for r in real_summary_datasets(DataConfig())["validation"].to_list()}
    draws = json.loads((paths.REPORTS_DIR / "agreement" / "draws_validation.json").read_text(encoding="utf-8"))
    threshold = GenerationArguments().agreement_min
    shown = [(any(label[e] for e in SERIOUS), summary, docs[label["id"]])
             for name in SHEETS for label, summary in system_labels(AUDIT_DIR / name, "champion")
             if not soundness_problems(summary, docs[label["id"]])
             and agreement(summary, draws[label["id"]]["draws"]) >= threshold]
    serious = sum(s for s, _, _ in shown)
    print(f"{len(shown)} summaries a brief shows: {serious} with a reader's serious error")
    for variant in "ab":
        caught = sum(s and bool(unsupported(t, d, variant)) for s, t, d in shown)
        sent = sum(not s and bool(unsupported(t, d, variant)) for s, t, d in shown)
        print(f"variant {variant}: catches {caught} of {serious} serious, sends {sent} of {len(shown) - serious} sound")


if __name__ == "__main__":
    main()
