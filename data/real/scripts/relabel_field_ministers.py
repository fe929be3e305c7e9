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

import re

from relabel import REAL, main

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


def selected(text: str) -> bool:
    """An office of a labelled field and a meeting word, by the text alone."""
    return bool(OFFICE.search(text) and MEETING.search(text))


if __name__ == "__main__":
    main(WORK, "field_ministers_2026-12-02", selected)
