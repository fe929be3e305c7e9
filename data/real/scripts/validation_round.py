"""The seventh round: published reports from outlets in no split, labelled by the corpus's procedure and pinned to
real validation (docs/decisions.md, "A seventh round, all to validation", 2026-12-03), so the promotion gate rests on
more articles. The test split never changes.

    .venv/bin/python data/real/scripts/validation_round.py assemble       # round7/_collect/*.jsonl -> assembled.jsonl
    .venv/bin/python data/real/scripts/validation_round.py sheet          # _label/sheet_part*.jsonl (the splitter)
    .venv/bin/python data/real/scripts/validation_round.py disagreements  # _label/adjudication_sheet.jsonl (blind)
    .venv/bin/python data/real/scripts/validation_round.py build          # append to the corpus, pin to validation

The collectors' files (round7/_collect/, found with the `pages` corpus of the project's search tool, texts as
published) are checked again by code: a held-out address, a page or an outlet or agency already anywhere in the
project's data (every split, round 5, round 6 and the unlabelled files: a validation outlet must be new to every
model compared on it), or a text near any of those reports or an earlier one of this round (TF-IDF cosine >= 0.5)
is dropped and named. Two passes label the sheet parts blind (each annotator in a folder holding only LABELS.md and
its part); pass A also writes the summaries; the adjudicator sees each disagreement's label sets as X and Y, in an
order drawn per sentence. ``build`` appends the round's articles and sentences to data/real/ (each report once:
a second build refuses) and adds their ids to ``real_validation`` in splits.json.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

from scipy.sparse import vstack
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics.pairwise import cosine_similarity

from accord import paths
from accord.data.real import agreement, read_heldout
from accord.io import iter_jsonl, write_jsonl_atomic, write_text_atomic

sys.path.insert(0, str(Path(__file__).resolve().parent))
from assemble_collected import EXCERPT_CAP, source_group
from assemble_unlabelled import NEAR
from assemble_unlabelled import problem as unlabelled_problem
from label_unlabelled import blind_pairs, one_sentence
from make_sheet import sheet_rows
from merge_labels import gold_fields

REAL = paths.DATA_DIR / "real"
ROUND = REAL / "round7"
LABEL = ROUND / "_label"
PER_OUTLET = 2  # reports per outlet or agency at most, so a few outlets do not make up validation
PARTS = 4  # sheet parts, whole articles each, for the annotators
SEED = 7  # the X/Y order of each disagreement on the adjudication sheet
PROVENANCE = "search tool, pages corpus; collected for real validation in round 7"
MEASURED = ("articles.jsonl", "round5/articles.jsonl", "round6/articles.jsonl")  # every labelled report, under REAL
UNLABELLED = ("articles.jsonl", "articles_r2.jsonl")  # data/unlabelled/: texts a distilled model trained on


def _read(path: Path) -> list[dict]:
    return [row for _, row in iter_jsonl(path, [])]


def known_reports() -> tuple[list[dict], set[str]]:
    """Every report of the project's data but this round's own, and every outlet and agency name it uses
    (case-folded)."""
    reports = [r for name in MEASURED for r in _read(REAL / name) if r.get("provenance") != PROVENANCE]
    reports += [r for name in UNLABELLED for r in _read(paths.DATA_DIR / "unlabelled" / name)]
    outlets = {o.casefold() for r in reports for o in (r["outlet"], r.get("source_group") or r["outlet"])}
    return reports, outlets


def problem(row: dict, known_urls: set[str], heldout: set[str], outlets: set[str]) -> str | None:
    """Why a collected report cannot join validation (None: it can): the distillation rounds' checks, against every
    outlet the project's data uses, and the writing agency the corpus would group it under."""
    why = unlabelled_problem(row, known_urls, heldout, outlets)
    if why is None and source_group(row["outlet"], row["outlet_country"], row["text"]).casefold() in outlets:
        return f"outlet {row['outlet']} carries an agency already in the project's data"
    return why


def assemble() -> list[dict]:
    """The round's reports that pass the checks, as the corpus keeps them (``rw_`` ids from the address)."""
    reports, outlets = known_reports()
    known = {r["url"].rstrip("/") for r in reports}
    heldout, kept, dropped = read_heldout(paths.HELDOUT_FILE), [], []
    for path in sorted((ROUND / "_collect").glob("*.jsonl")):
        for line, row in iter_jsonl(path, []):
            why = problem(row, known, heldout, outlets)
            (dropped.append(f"{path.name}:{line}: {why}") if why else kept.append(row))
            known.add(str(row.get("url", "")).rstrip("/"))
    vectors = TfidfVectorizer(sublinear_tf=True).fit([r["text"] for r in reports + kept])
    against, out = vectors.transform([r["text"] for r in reports]), []
    for row in kept:
        mine, art = vectors.transform([row["text"]]), _article(row)
        near = cosine_similarity(mine, against).max()
        if near >= NEAR or sum(o["source_group"] == art["source_group"] for o in out) >= PER_OUTLET:
            dropped.append(f"{row['url']}: " + (f"near another report (cosine {near:.2f})" if near >= NEAR
                                                else f"a third report of {art['source_group']}"))
            continue
        out.append(art)
        against = vstack([against, mine])
    print("\n".join(dropped))
    print(f"{len(out)} kept, {len(dropped)} dropped, {len({r['source_group'] for r in out})} outlets")
    return out


def _article(row: dict) -> dict:
    return {"article_id": "rw_" + hashlib.sha1(row["url"].encode()).hexdigest()[:8], "url": row["url"],
            "outlet": row["outlet"], "outlet_country": row["outlet_country"],
            "source_group": source_group(row["outlet"], row["outlet_country"], row["text"]), "date": row["date"],
            "title": row["title"], "partial": bool(row["partial"] or len(row["text"]) >= EXCERPT_CAP),
            "meeting": row["meeting"], "text": row["text"], "provenance": PROVENANCE}


def _parts(pattern: str) -> list[dict]:
    return [row for f in sorted(LABEL.glob(pattern)) for row in _read(f)]


def sheets() -> list[list[dict]]:
    """The sheet parts: whole articles, in article-id order, dealt round-robin into ``PARTS`` parts."""
    arts = sorted(_read(ROUND / "assembled.jsonl"), key=lambda r: r["article_id"])
    return [[row for art in arts[k::PARTS] for row in sheet_rows(art)] for k in range(PARTS)]


def disagreements() -> list[dict]:
    """Sentences both passes labelled differently, with their article's sentences; X and Y drawn per sentence."""
    a, b = ({r["id"]: r["labels"] for r in _parts(f"pass_{p}_part*.jsonl")} for p in "AB")
    return blind_pairs(_parts("sheet_part*.jsonl"), a, b, SEED)


def labelled() -> tuple[list[dict], list[dict]]:
    """The round's articles (with their summaries) and sentences (gold and both passes), as the corpus keeps them."""
    summaries = {r["article_id"]: r["summary"] for r in _parts("summaries_part*.jsonl")}
    arts = [a | {"summary": summaries[a["article_id"]]} for a in sorted(_read(ROUND / "assembled.jsonl"),
                                                                          key=lambda r: r["article_id"])]
    a, b = ({r["id"]: r["labels"] for r in _parts(f"pass_{p}_part*.jsonl")} for p in "AB")
    adjudicated = {r["id"]: r["labels"] for r in _parts("adjudication_part*.jsonl")}
    rows = [row | {"text": one_sentence(row["text"])} | gold_fields(row["id"], a, b, adjudicated) | {"source": "real"}
            for row in _parts("sheet_part*.jsonl")]
    return arts, sorted(rows, key=lambda r: (r["article_id"], r["sentence_index"]))


def build() -> None:
    """Append the round to data/real/ and pin its articles to real validation; refuses a report already there."""
    arts, rows = labelled()
    corpus, sentences = _read(REAL / "articles.jsonl"), _read(REAL / "sentences.jsonl")
    clash = {a["article_id"] for a in arts} & {a["article_id"] for a in corpus}
    if clash:
        raise SystemExit(f"{len(clash)} of the round's reports are in the corpus already, e.g. {sorted(clash)[:3]}")
    splits = json.loads((REAL / "splits.json").read_text(encoding="utf-8"))
    splits["real_validation"] = sorted(set(splits["real_validation"]) | {a["article_id"] for a in arts})
    write_jsonl_atomic(REAL / "articles.jsonl", corpus + arts)
    write_jsonl_atomic(REAL / "sentences.jsonl", sentences + rows)
    write_text_atomic(REAL / "splits.json", json.dumps(splits, indent=1) + "\n")
    print(json.dumps({"articles": len(arts), "sentences": len(rows),
                      "real_validation": len(splits["real_validation"])} | agreement(rows), indent=1))


def write_sheets() -> None:
    for k, part in enumerate(sheets(), start=1):
        write_jsonl_atomic(LABEL / f"sheet_part{k}.jsonl", part)
        print(f"part {k}: {len({r['article_id'] for r in part})} articles, {len(part)} sentences")


def write_disagreements() -> None:
    rows = disagreements()
    write_jsonl_atomic(LABEL / "adjudication_sheet.jsonl", rows)
    print(f"{len(rows)} disagreements")


STEPS = {"assemble": lambda: write_jsonl_atomic(ROUND / "assembled.jsonl", assemble()), "sheet": write_sheets,
         "disagreements": write_disagreements, "build": build}


def main(step: str) -> None:
    if step not in STEPS:
        raise SystemExit(f"step must be one of {', '.join(STEPS)}")
    STEPS[step]()


if __name__ == "__main__":
    main(sys.argv[1])
