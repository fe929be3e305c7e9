"""Write the labelling sheet of a collection round: every sentence of its assembled articles, as the project's
splitter gives it, the cut-off last fragment of a partial article left out (a last sentence that does not end in
closing punctuation). The two label passes and the summaries key on the sheet's ids.

    .venv/bin/python data/real/scripts/make_sheet.py r5_ 8     # the round's _collect/ prefix, the sheet part number
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

from accord.io import write_jsonl_atomic
from accord.text import split_article

HERE = Path(__file__).resolve().parents[1]
CLOSED = re.compile(r"[.!?][\"”'’)\]]*$")  # a sentence that ends here was not cut by the excerpt cap


def sheet_rows(article: dict) -> list[dict]:
    sentences = split_article(article["text"])
    if article["partial"] and sentences and not CLOSED.search(sentences[-1].strip()):
        sentences = sentences[:-1]
    aid = article["article_id"]
    return [{"id": f"{aid}-{i:02d}", "article_id": aid, "sentence_index": i, "text": t}
            for i, t in enumerate(sentences)]


def main(prefix: str, part: str) -> None:
    urls = {json.loads(line)["url"] for f in sorted((HERE / "_collect").glob(f"{prefix}*.jsonl"))
            for line in f.read_text(encoding="utf-8").splitlines() if line.strip()}
    articles = [json.loads(line) for line in (HERE / "_collect" / "assembled.jsonl").read_text(encoding="utf-8")
                .splitlines() if line.strip()]
    rows = [row for a in articles if a["url"] in urls for row in sheet_rows(a)]
    out = HERE / "_label" / f"sheet_part{part}.jsonl"
    if out.exists():
        sys.exit(f"{out} exists: choose another part number")
    write_jsonl_atomic(out, rows)
    print(f"{len({r['article_id'] for r in rows})} articles, {len(rows)} sentences -> {out}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
