"""Merge the two independent label passes, the adjudication and the reference summaries into the real corpus.

Inputs (data/real/_label/): the sheets the annotators labelled (the project's splitter over each article; the cut-off
last fragment of a partial article left out), pass_A_*.jsonl and pass_B_*.jsonl (independent passes),
adjudication.jsonl (the gold label where the passes disagree, with the reason), summaries_*.jsonl.
Outputs: data/real/sentences.jsonl (gold labels plus both passes) and data/real/articles.jsonl (the assembled
articles that have labels and a summary; data/real/scripts/assemble_collected.py makes _collect/assembled.jsonl).

    .venv/bin/python data/real/scripts/merge_labels.py
"""

from __future__ import annotations

import json
from pathlib import Path

HERE = Path(__file__).resolve().parents[1]
LABEL_DIR = HERE / "_label"
ORDER = ("trade", "defence", "technology", "people_to_people", "visas")


def _rows(pattern: str) -> list[dict]:
    out = []
    for f in sorted(LABEL_DIR.glob(pattern)):
        out += [json.loads(line) for line in f.read_text(encoding="utf-8").splitlines() if line.strip()]
    return out


def _current_texts(sheet: dict[str, dict]) -> dict[str, str]:
    """Each sheet sentence as the current splitter gives it (later splitter fixes only strip furniture such as a
    dateline left at the start of a later paragraph; the sentence count and order never changed)."""
    from accord.text import split_article

    articles = {json.loads(line)["article_id"]: json.loads(line)
                for line in (HERE / "_collect" / "assembled.jsonl").read_text(encoding="utf-8").splitlines()
                if line.strip()}
    split = {aid: split_article(art["text"]) for aid, art in articles.items()}
    return {sid: split[row["article_id"]][row["sentence_index"]] for sid, row in sheet.items()}


def gold_fields(sid: str, a: dict[str, list[str]], b: dict[str, list[str]], adjudicated: dict[str, list[str]]
                ) -> dict:
    """A sheet sentence's gold (the passes' labels where they agree, else the adjudication) and both passes."""
    agree = sorted(a[sid]) == sorted(b[sid])
    assert agree or sid in adjudicated, f"{sid}: the passes disagree and there is no adjudication"
    gold = a[sid] if agree else adjudicated[sid]
    return {"labels": [x for x in ORDER if x in gold], "labels_a": [x for x in ORDER if x in a[sid]],
            "labels_b": [x for x in ORDER if x in b[sid]], "adjudicated": not agree, "source": "real"}

def main() -> None:
    sheet = {r["id"]: r for r in _rows("sheet_part*.jsonl")}
    texts = _current_texts(sheet)
    a = {r["id"]: r["labels"] for r in _rows("pass_A_*.jsonl")}
    b = {r["id"]: r["labels"] for r in _rows("pass_B_*.jsonl")}
    adjudicated = {r["id"]: r["labels"] for r in _rows("adjudication.jsonl")}
    assert set(sheet) == set(a) == set(b), "both passes must label every sheet sentence"
    sentences = [{"id": sid, "article_id": row["article_id"], "sentence_index": row["sentence_index"],
                  "text": texts[sid], **gold_fields(sid, a, b, adjudicated)} for sid, row in sheet.items()]
    sentences.sort(key=lambda r: (r["article_id"], r["sentence_index"]))
    (HERE / "sentences.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in sentences),
                                          encoding="utf-8")
    summaries = {r["article_id"]: r["summary"] for r in _rows("summaries_part*.jsonl")}
    labelled = {row["article_id"] for row in sheet.values()}
    articles = [json.loads(line) for line in (HERE / "_collect" / "assembled.jsonl").read_text(encoding="utf-8")
                .splitlines() if line.strip()]
    articles = [a | {"summary": summaries[a["article_id"]]} for a in articles if a["article_id"] in labelled]
    (HERE / "articles.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in articles),
                                         encoding="utf-8")
    print(f"{len(sentences)} sentences ({sum(r['adjudicated'] for r in sentences)} adjudicated), "
          f"{len(articles)} articles with summaries")


if __name__ == "__main__":
    main()
