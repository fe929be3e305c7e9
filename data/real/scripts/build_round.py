"""Build a collection round kept apart from the corpus (e.g. data/real/round5/, a second real test set; see
docs/decisions.md) from its own _collect/ and _label/ files: articles.jsonl (as assembled, with the reference
summary and whether its outlet or writing agency trains), sentences.jsonl (gold, both passes, adjudication) and the
two labelled files `accord evaluate classifier data_file=...` reads: test_new_outlets.jsonl (outlets in no corpus
split) and test_seen_outlets.jsonl (the rest).

    .venv/bin/python data/real/scripts/build_round.py data/real/round5
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

from accord.io import write_jsonl_atomic

REAL = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))
from assemble_collected import EXCERPT_CAP, source_group  # noqa: E402
from make_sheet import sheet_rows  # noqa: E402

ORDER = ("trade", "defence", "technology", "people_to_people", "visas")


def _read(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def articles(folder: Path) -> list[dict]:
    """The round's collected reports, assembled as the corpus's are, with summaries and whether their outlet trains."""
    corpus = _read(REAL / "articles.jsonl")
    known = {a["source_group"] for a in corpus} | {a["outlet"] for a in corpus}
    summaries = {r["article_id"]: r["summary"] for r in _read(folder / "_label" / "summaries.jsonl")}
    out = []
    collected = [r for f in sorted((folder / "_collect").glob("*.jsonl")) for r in _read(f)]
    for r in sorted(collected, key=lambda r: r["url"]):
        aid = "rw_" + hashlib.sha1(r["url"].encode()).hexdigest()[:8]
        group = source_group(r["outlet"], r["outlet_country"], r["text"])
        out.append({"article_id": aid, "url": r["url"], "outlet": r["outlet"], "outlet_country": r["outlet_country"],
                    "source_group": group, "date": r["date"], "title": r["title"],
                    "partial": bool(r["partial"] or len(r["text"]) >= EXCERPT_CAP), "meeting": r["meeting"],
                    "text": r["text"], "summary": summaries[aid],
                    "outlet_in_corpus": group in known or r["outlet"] in known,
                    "provenance": f"search tool, pages corpus; query {r['query']!r}"})
    return out


def sentences(folder: Path, arts: list[dict]) -> list[dict]:
    """Every sheet sentence with its gold label set (the passes' where they agree, else the adjudication)."""
    label = folder / "_label"
    a, b = ({r["id"]: r["labels"] for r in _read(label / f"pass_{p}.jsonl")} for p in "AB")
    adjudicated = {r["id"]: r["labels"] for r in _read(label / "adjudication.jsonl")}
    rows = [row for art in arts for row in sheet_rows(art)]
    assert [r["id"] for r in rows] == [r["id"] for r in _read(label / "sheet.jsonl")], "sheet out of date"
    out = []
    for row in rows:
        sid, agree = row["id"], sorted(a[row["id"]]) == sorted(b[row["id"]])
        assert agree or sid in adjudicated, f"{sid}: the passes disagree and there is no adjudication"
        gold = a[sid] if agree else adjudicated[sid]
        out.append(row | {"labels": [x for x in ORDER if x in gold], "labels_a": [x for x in ORDER if x in a[sid]],
                          "labels_b": [x for x in ORDER if x in b[sid]], "adjudicated": not agree,
                          "source": "real"})
    return out


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
