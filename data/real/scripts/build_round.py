"""Build a collection round kept apart from the corpus (e.g. data/real/round5/, a second real test set; see
docs/decisions.md) from its own _collect/ and _label/ files: articles.jsonl (as assembled, with the reference
summary and whether its outlet or writing agency trains), sentences.jsonl (gold, both passes, adjudication) and the
two labelled files `accord evaluate classifier data_file=...` reads: test_new_outlets.jsonl (outlets in no corpus
split) and test_seen_outlets.jsonl (the rest).

    .venv/bin/python data/real/scripts/build_round.py data/real/round5
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from accord.io import write_jsonl_atomic

REAL = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))
from assemble_collected import assemble  # noqa: E402
from make_sheet import sheet_rows  # noqa: E402
from merge_labels import gold_fields  # noqa: E402
from relabel import relabel_round_rows  # noqa: E402


def _read(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def articles(folder: Path) -> list[dict]:
    """The round's collected reports, assembled as the corpus's are, with summaries and whether their outlet trains."""
    corpus = _read(REAL / "articles.jsonl")
    known = {a["source_group"] for a in corpus} | {a["outlet"] for a in corpus}
    summaries = {r["article_id"]: r["summary"] for r in _read(folder / "_label" / "summaries.jsonl")}
    collected = [r for f in sorted((folder / "_collect").glob("*.jsonl")) for r in _read(f)]
    arts = [assemble(r) for r in sorted(collected, key=lambda r: r["url"])]
    return [a | {"summary": summaries[a["article_id"]],
                 "outlet_in_corpus": a["source_group"] in known or a["outlet"] in known} for a in arts]


def sentences(folder: Path, arts: list[dict]) -> list[dict]:
    """Every sheet sentence with its gold label set (the passes' where they agree, else the adjudication)."""
    label = folder / "_label"
    a, b = ({r["id"]: r["labels"] for r in _read(label / f"pass_{p}.jsonl")} for p in "AB")
    adjudicated = {r["id"]: r["labels"] for r in _read(label / "adjudication.jsonl")}
    rows = [row for art in arts for row in sheet_rows(art)]
    assert [r["id"] for r in rows] == [r["id"] for r in _read(label / "sheet.jsonl")], "sheet out of date"
    rows = [row | gold_fields(row["id"], a, b, adjudicated) for row in rows]
    relabel_round_rows(rows, label)  # the round's later blind relabellings (relabel_round.py)
    return rows


def main(folder: Path) -> None:
    arts = articles(folder)
    rows = sentences(folder, arts)
    seen = {a["article_id"] for a in arts if a["outlet_in_corpus"]}
    write_jsonl_atomic(folder / "articles.jsonl", arts)
    write_jsonl_atomic(folder / "sentences.jsonl", rows)
    for name, keep in (("test_new_outlets", False), ("test_seen_outlets", True)):
        write_jsonl_atomic(folder / f"{name}.jsonl", [r for r in rows if (r["article_id"] in seen) == keep])
    print(f"{len(arts)} articles ({len(arts) - len(seen)} from outlets in no corpus split), {len(rows)} sentences")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
