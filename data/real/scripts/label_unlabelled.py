"""The sixth round: the reports collected for distillation (data/unlabelled/, both rounds), labelled for training
(docs/decisions.md, "The unlabelled news, labelled", 2026-12-03), kept as data/real/round6/ and used through
`data.train_rounds`.

    .venv/bin/python data/real/scripts/label_unlabelled.py sheet          # _label/sheet.jsonl (the project's splitter)
    .venv/bin/python data/real/scripts/label_unlabelled.py disagreements  # _label/adjudication_sheet.jsonl (blind)
    # (a part is adjudicated as soon as both its passes exist; its sheet lines never change after)
    .venv/bin/python data/real/scripts/label_unlabelled.py build          # articles.jsonl, sentences.jsonl + agreement

Each pass's annotators labelled parts of the sheet (_label/pass_A_part*.jsonl, pass_B_part*.jsonl) working in a folder
holding only LABELS.md and their part; pass A also wrote the reference summaries (_label/summaries_part*.jsonl). The
adjudicator saw each disagreement's two label sets as X and Y, the order drawn per sentence (seeded), never which
pass gave which, and wrote _label/adjudication_part*.jsonl. The summaries asked for were 25-45 words, the corpus's
rule is 15-40: the 102 longer ones were rewritten to 20-38 words by two more editors from the article alone
(_label/summaries_shortened*.jsonl; the first versions stay in summaries_part*.jsonl).
"""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path

from accord import paths
from accord.data.real import agreement
from accord.io import write_jsonl_atomic
from accord.text import split_sentences

sys.path.insert(0, str(Path(__file__).resolve().parent))
from assemble_collected import source_group  # noqa: E402
from make_sheet import sheet_rows  # noqa: E402
from merge_labels import gold_fields  # noqa: E402
from relabel import relabel_round_rows  # noqa: E402

ROUND = paths.DATA_DIR / "real" / "round6"
LABEL = ROUND / "_label"
SOURCES = ("articles.jsonl", "articles_r2.jsonl")  # data/unlabelled/: the two distillation rounds
SEED = 6  # the X/Y order of each disagreement on the adjudication sheet


def _read(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _parts(pattern: str) -> list[dict]:
    return [row for f in sorted(LABEL.glob(pattern)) for row in _read(f)]


def reports() -> list[dict]:
    """The collected reports, in article-id order."""
    rows = [r for name in SOURCES for r in _read(paths.DATA_DIR / "unlabelled" / name)]
    return sorted(rows, key=lambda r: r["article_id"])


def sheet() -> list[dict]:
    return [row for art in reports() for row in sheet_rows(art)]


def disagreements() -> list[dict]:
    """The sentences both passes have labelled, differently, with their article's sentences for context; the two
    label sets as X and Y in an order drawn per sentence (seeded by its id, so a part adjudicated early keeps it)."""
    a, b = ({r["id"]: r["labels"] for r in _parts(f"pass_{p}_part*.jsonl")} for p in "AB")
    return blind_pairs(sheet(), a, b, SEED)


def blind_pairs(rows: list[dict], a: dict[str, list[str]], b: dict[str, list[str]], seed: int) -> list[dict]:
    """The adjudication sheet of ``rows`` (sheet lines) labelled by passes ``a`` and ``b``: each sentence both
    labelled differently, with its article's sentences, the two label sets as X and Y in a seeded order."""
    by_article: dict[str, list[str]] = {}
    for r in rows:
        by_article.setdefault(r["article_id"], []).append(r["text"])
    out = []
    for r in rows:
        if r["id"] in a and r["id"] in b and sorted(a[r["id"]]) != sorted(b[r["id"]]):
            flip = random.Random(f"{seed}:{r['id']}").random() < 0.5
            x, y = (b[r["id"]], a[r["id"]]) if flip else (a[r["id"]], b[r["id"]])
            out.append({"id": r["id"], "text": r["text"], "article": by_article[r["article_id"]], "X": x, "Y": y})
    return out


def one_sentence(text: str) -> str:
    """The text as the splitter gives it when it splits the sentence alone, as the corpus's rows are checked (one
    sheet sentence ends in a closing single quote that the article's split keeps and the sentence's drops)."""
    alone = split_sentences(text)
    return alone[0] if len(alone) == 1 else text


def build() -> None:
    """articles.jsonl (assembled as the corpus's reports are, with their summaries) and sentences.jsonl (gold and
    both passes), then the agreement of the two passes."""
    summaries = {r["article_id"]: r["summary"] for r in _parts("summaries_part*.jsonl")}
    summaries |= {r["article_id"]: r["summary"] for r in _parts("summaries_shortened*.jsonl")}  # the 41-45-word ones
    arts = [{"article_id": r["article_id"], "url": r["url"], "outlet": r["outlet"],
             "outlet_country": r["outlet_country"], "source_group": source_group(r["outlet"], r["outlet_country"],
                                                                                 r["text"]),
             "date": r["date"], "title": r["title"], "partial": bool(r["partial"]), "meeting": r["meeting"],
             "text": r["text"], "summary": summaries[r["article_id"]],
             "provenance": "search tool, pages corpus; collected for distillation (data/unlabelled/), labelled in "
                           "round 6"} for r in reports()]
    a, b = ({r["id"]: r["labels"] for r in _parts(f"pass_{p}_part*.jsonl")} for p in "AB")
    adjudicated = {r["id"]: r["labels"] for r in _parts("adjudication_part*.jsonl")}
    rows = [row | {"text": one_sentence(row["text"])} | gold_fields(row["id"], a, b, adjudicated) for row in sheet()]
    relabel_round_rows(rows, LABEL)  # the round's later blind relabellings (relabel_round.py)
    write_jsonl_atomic(ROUND / "articles.jsonl", arts)
    write_jsonl_atomic(ROUND / "sentences.jsonl", rows)
    agree = agreement(rows)
    print(json.dumps({"articles": len(arts), "sentences": len(rows)} | agree, indent=1))


def main(step: str) -> None:
    if step == "sheet":
        write_jsonl_atomic(LABEL / "sheet.jsonl", sheet())
    elif step == "disagreements":
        rows = disagreements()
        write_jsonl_atomic(LABEL / "adjudication_sheet.jsonl", rows)
        print(f"{len(rows)} disagreements")
    elif step == "build":
        build()
    else:
        raise SystemExit("step must be sheet, disagreements or build")


if __name__ == "__main__":
    main(sys.argv[1])
