"""Blind relabelling of sentences picked by their texts alone: the shared steps (docs/decisions.md).

A relabelling script names a work folder, a procedure name and a text-only selector, and calls :func:`main`:

- `select`: picks every real sentence in every split whose **text** the selector accepts (no gold, no predictions)
  and writes the blind sheet (id, the sentence before, text) to ``<work>/sheet.jsonl``;
- `apply`: after two independent passes (``pass_A.jsonl``, ``pass_B.jsonl``) and the adjudication of their
  disagreements (``adjudication.jsonl``), replaces the gold of those sentences in ``data/real/sentences.jsonl``,
  keeping the gold before the first relabelling, the gold this one replaced and both new passes in a ``relabel``
  record, and prints how much changed per split.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from accord.io import InputError, iter_jsonl, write_jsonl_atomic

REAL = Path(__file__).resolve().parents[1]
SENTENCES = REAL / "sentences.jsonl"


def read(path: Path) -> list[dict]:
    errors: list[InputError] = []
    rows = [row for _, row in iter_jsonl(path, errors)]
    if errors:
        sys.exit("\n".join(map(str, errors)))
    return rows


def select(work: Path, selected: Callable[[str], bool], sentences: Path = SENTENCES,
           ids: set[str] | None = None) -> None:
    """Write the blind sheet of the sentences whose text ``selected`` accepts, or whose id is in ``ids``."""
    rows = read(sentences)
    by_id = {r["id"]: r for r in rows}
    sheet = [{"id": r["id"], "previous_sentence": by_id.get(f"{r['article_id']}-{r['sentence_index'] - 1:02d}",
                                                            {}).get("text", ""), "text": r["text"]}
             for r in rows if r.get("source") == "real" and (selected(r["text"]) or r["id"] in (ids or ()))]
    work.mkdir(parents=True, exist_ok=True)
    write_jsonl_atomic(work / "sheet.jsonl", sheet)
    print(f"{len(sheet)} sentences selected")


def relabel_rows(rows: list[dict], work: Path, procedure: str) -> dict[str, bool]:
    """Replace, in place, the gold of every sentence of ``work``'s sheet by its two passes (or their adjudication),
    keeping the gold before the first relabelling, the gold replaced and both passes in a ``relabel`` record;
    returns each relabelled id and whether its label set changed. A sheet sentence without both passes, or a
    disagreement without adjudication, stops with the ids."""
    a = {r["id"]: sorted(r["labels"]) for r in read(work / "pass_A.jsonl")}
    b = {r["id"]: sorted(r["labels"]) for r in read(work / "pass_B.jsonl")}
    adjudicated = {r["id"]: sorted(r["labels"]) for r in read(work / "adjudication.jsonl")}
    sheet_ids = [r["id"] for r in read(work / "sheet.jsonl")]
    missing = [i for i in sheet_ids if i not in a or i not in b]
    undecided = [i for i in sheet_ids if i in a and i in b and a[i] != b[i] and i not in adjudicated]
    if missing or undecided:
        sys.exit(f"not labelled by both passes: {missing}; disagreements without adjudication: {undecided}")
    chosen, changed = set(sheet_ids), {}
    for row in rows:
        if row["id"] not in chosen:
            continue
        old = row.get("relabel", {}).get("labels_before", row["labels"])
        before, new = sorted(row["labels"]), adjudicated.get(row["id"], a[row["id"]])
        row["relabel"] = {"labels_before": old, "labels_replaced": before, "labels_a": a[row["id"]],
                          "labels_b": b[row["id"]],
                          "adjudicated": row["id"] in adjudicated, "procedure": procedure,
                          **({"earlier": row["relabel"]} if "relabel" in row else {})}
        row["labels"] = new
        changed[row["id"]] = before != new
    return changed


# a kept-apart round's blind relabellings, in order
ROUND_PROCEDURES = ("round_2026-12-03", "open_cases_2026-12-05", "open_cases_b_2026-12-05")


def relabel_round_rows(rows: list[dict], label_dir: Path) -> None:
    """Apply to a round's freshly built ``rows``, in order, each blind relabelling it has under ``label_dir``
    (``<procedure>/``, once both passes exist), so that rebuilding the round keeps them."""
    for procedure in ROUND_PROCEDURES:
        work = label_dir / procedure
        if (work / "pass_B.jsonl").is_file():
            changed = relabel_rows(rows, work, procedure)
            print(f"{len(changed)} sentences relabelled ({procedure}), {sum(changed.values())} label sets changed",
                  file=sys.stderr)


def apply(work: Path, procedure: str) -> None:
    splits = json.loads((REAL / "splits.json").read_text(encoding="utf-8"))
    split_of = {aid: name for name in ("real_validation", "real_test") for aid in splits[name]}
    rows = read(SENTENCES)
    changed, counts = relabel_rows(rows, work, procedure), Counter()
    for row in rows:
        if row["id"] in changed:
            split = split_of.get(row["article_id"], "real_train")
            counts[split, "selected"] += 1
            counts[split, "changed"] += changed[row["id"]]
    write_jsonl_atomic(SENTENCES, rows)
    for split in ("real_train", "real_validation", "real_test"):
        print(f"{split}: {counts[split, 'selected']} relabelled, {counts[split, 'changed']} changed")


def main(work: Path, procedure: str, selected: Callable[[str], bool]) -> None:
    step = sys.argv[1] if len(sys.argv) > 1 else ""
    if step == "select":
        select(work, selected)
    elif step == "apply":
        apply(work, procedure)
    else:
        sys.exit("usage: select | apply")
