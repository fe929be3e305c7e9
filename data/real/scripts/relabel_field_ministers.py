"""Blind second labelling of the field-ministers sentences (docs/decisions.md, 2026-12-02).

The *field ministers* rule of data/LABELS.md was added at adjudication of the first two passes, so a sentence both
passes labelled without it never reached adjudication, and the gold applied it unevenly. This script

- `select`: picks, by a regex over the **texts only** (no gold, no predictions), every sentence in every split that
  names an office of a labelled field together with a meeting word, and writes the blind sheet (id, the sentence
  before, text) to data/real/_label/field_ministers/sheet.jsonl;
- `apply`: after two independent passes (pass_A.jsonl, pass_B.jsonl) and the adjudication of their disagreements
  (adjudication.jsonl), replaces the gold of those sentences in data/real/sentences.jsonl, keeping the old gold and
  both new passes in a `relabel` record, and prints how much changed per split.

    .venv/bin/python data/real/scripts/relabel_field_ministers.py select|apply
"""

from __future__ import annotations

import json
import re
import sys
from collections import Counter
from pathlib import Path

from accord.io import InputError, iter_jsonl, write_jsonl_atomic

REAL = Path(__file__).resolve().parents[1]
SENTENCES = REAL / "sentences.jsonl"
WORK = REAL / "_label" / "field_ministers"
OFFICE = re.compile(
    r"\b(defen[cs]e (minister|secretary|chief|ministry|ministers)|minister(s)? (of|for) (national )?defen[cs]e|"
    r"secretary of defen[cs]e|war secretary|chiefs? of (the )?(general |defence |defense |joint )?staff|commander|"
    r"army chief|navy chief|air force chief|military chief|generals?\b|admiral|interior minister|"
    r"minister of (the )?interior|home (affairs )?minister|minister of (home affairs|public security)|"
    r"public security minister|police chief|trade minister|commerce minister|"
    r"minister (of|for) (trade|commerce|industry and trade)|industry and trade minister|trade representative|"
    r"education minister|minister (of|for) education|labou?r minister|"
    r"minister (of|for) (labou?r|manpower|overseas employment)|manpower minister|2\+2)", re.I)
MEETING = re.compile(
    r"\b(met|meet|meets|meeting|talks|held|hold|holds|received|receives|receiving|call(ed)? on|courtesy|visit|"
    r"visited|visits|visiting|hosted|dialogue|discuss|discussed|discussing|phone|spoke|conversation)\b", re.I)


def read(path: Path) -> list[dict]:
    errors: list[InputError] = []
    rows = [row for _, row in iter_jsonl(path, errors)]
    if errors:
        sys.exit("\n".join(map(str, errors)))
    return rows


def selected(rows: list[dict]) -> list[dict]:
    """The real sentences the text-only regex picks: an office of a labelled field and a meeting word."""
    return [r for r in rows if r.get("source") == "real" and OFFICE.search(r["text"]) and MEETING.search(r["text"])]


def select() -> None:
    rows = read(SENTENCES)
    by_id = {r["id"]: r for r in rows}
    sheet = [{"id": r["id"], "previous_sentence": by_id.get(f"{r['article_id']}-{r['sentence_index'] - 1:02d}",
                                                            {}).get("text", ""), "text": r["text"]}
             for r in selected(rows)]
    WORK.mkdir(parents=True, exist_ok=True)
    write_jsonl_atomic(WORK / "sheet.jsonl", sheet)
    print(f"{len(sheet)} sentences selected")


def apply() -> None:
    a = {r["id"]: sorted(r["labels"]) for r in read(WORK / "pass_A.jsonl")}
    b = {r["id"]: sorted(r["labels"]) for r in read(WORK / "pass_B.jsonl")}
    adjudicated = {r["id"]: sorted(r["labels"]) for r in read(WORK / "adjudication.jsonl")}
    sheet_ids = [r["id"] for r in read(WORK / "sheet.jsonl")]
    undecided = [i for i in sheet_ids if a[i] != b[i] and i not in adjudicated]
    if undecided:
        sys.exit(f"disagreements without adjudication: {undecided}")
    splits = json.loads((REAL / "splits.json").read_text(encoding="utf-8"))
    split_of = {aid: name for name in ("real_validation", "real_test") for aid in splits[name]}
    rows, changed = read(SENTENCES), Counter()
    for row in rows:
        if row["id"] not in a:
            continue
        old = row.get("relabel", {}).get("labels_before", row["labels"])
        new = adjudicated.get(row["id"], a[row["id"]])
        row["relabel"] = {"labels_before": old, "labels_a": a[row["id"]], "labels_b": b[row["id"]],
                          "adjudicated": row["id"] in adjudicated, "procedure": "field_ministers_2026-12-02"}
        row["labels"] = new
        split = split_of.get(row["article_id"], "real_train")
        changed[split, "selected"] += 1
        changed[split, "changed"] += sorted(old) != new
    write_jsonl_atomic(SENTENCES, rows)
    for split in ("real_train", "real_validation", "real_test"):
        print(f"{split}: {changed[split, 'selected']} relabelled, {changed[split, 'changed']} changed")


if __name__ == "__main__":
    {"select": select, "apply": apply}[sys.argv[1] if len(sys.argv) > 1 else ""]()
