"""Rounds of published news labelled by the corpus's procedure, from the collectors' files to the project's data:
round 7, pinned to real validation so the promotion gate rests on more articles (docs/decisions.md, "A seventh
round, all to validation", 2026-12-03); rounds 8 and 9, kept apart as data/real/round8/ and round9/ for training
through `data.train_rounds` ("An eighth round, for training", "A ninth round, for training", 2026-12-04); round 10,
kept apart as data/real/round10/ to measure only ("A tenth round, as a third real test set"). The test split never
changes.

    .venv/bin/python data/real/scripts/news_round.py ROUND assemble       # ROUND/_collect/*.jsonl -> assembled.jsonl
    .venv/bin/python data/real/scripts/news_round.py ROUND sheet          # _label/sheet_part*.jsonl (the splitter)
    .venv/bin/python data/real/scripts/news_round.py ROUND disagreements  # _label/adjudication_sheet.jsonl (blind)
    .venv/bin/python data/real/scripts/news_round.py ROUND build          # into the project's data
    # ROUND: round7 … round12

The collectors' files (found with the `pages` corpus of the project's search tool, texts as published) are checked
again by code: a held-out address, a page already anywhere in the project's data, an outlet the round may not use,
or a text near any report of the project or an earlier one of the round (TF-IDF cosine >= 0.5) is dropped and
named. Rounds 7 and 10 take no outlet or agency of the project's data (an outlet that measures must be new to every
model compared on it), rounds 8 and 9 none that measures (validation, test, the second real test set). Two passes
label the sheet parts blind (each annotator in a folder holding only LABELS.md and its part); pass A also writes the
summaries; the adjudicator sees each disagreement's label sets as X and Y, in an order drawn per sentence. Round
7's ``build`` appends its reports to data/real/ and pins them to ``real_validation`` in splits.json (a second build
refuses); a training round's writes its own articles.jsonl and sentences.jsonl.
"""

from __future__ import annotations

import hashlib
import json
import sys
from dataclasses import dataclass
from pathlib import Path

from scipy.sparse import vstack
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics.pairwise import cosine_similarity

from accord import paths
from accord.data.real import MEASURE_ONLY, agreement
from accord.io import iter_jsonl, write_jsonl_atomic, write_text_atomic

sys.path.insert(0, str(Path(__file__).resolve().parent))
from assemble_collected import EXCERPT_CAP, source_group
from assemble_unlabelled import NEAR, measured, screen
from assemble_unlabelled import problem as unlabelled_problem
from label_unlabelled import blind_pairs, one_sentence
from make_sheet import sheet_rows
from merge_labels import gold_fields
from relabel import relabel_round_rows

REAL = paths.DATA_DIR / "real"
PARTS = 4  # sheet parts, whole articles each, for the annotators
# every labelled report, under REAL (a round's own reports are told apart by their provenance)
MEASURED = ("articles.jsonl", "round5/articles.jsonl", "round6/articles.jsonl", "round8/articles.jsonl",
            "round9/articles.jsonl", "round10/articles.jsonl")
UNLABELLED = ("articles.jsonl", "articles_r2.jsonl")  # data/unlabelled/: texts a distilled model trained on


@dataclass(frozen=True)
class Round:
    """What differs between the rounds: where the reports go and which outlets they may come from."""

    folder: Path  # under data/real/: _collect/, _label/, assembled.jsonl (and round 8's articles, sentences)
    prefix: str  # article ids: prefix + the address's SHA-1
    per_outlet: int  # reports per outlet or agency at most, so a few outlets do not make up the round
    seed: int  # the X/Y order of each disagreement on the adjudication sheet
    provenance: str  # kept with each report
    to_validation: bool  # pinned to real validation (round 7), else kept apart in its folder
    new_outlets: bool  # no outlet or agency of any of the project's data (rounds 7, 10), else none that measures


ROUNDS = {
    "round7": Round(REAL / "round7", "rw_", 2, 7, "search tool, pages corpus; collected for real validation in round 7",
                    True, True),
    "round8": Round(REAL / "round8", "r8_", 3, 8, "search tool, pages corpus; collected for training in round 8",
                    False, False),
    "round9": Round(REAL / "round9", "r9_", 3, 9, "search tool, pages corpus; collected for training in round 9",
                    False, False),
    "round10": Round(REAL / "round10", "r10_", 3, 10,
                     f"search tool, pages corpus; collected in round 10 {MEASURE_ONLY} (a third real test set)",
                     False, True),
    "round11": Round(REAL / "round11", "rw_", 2, 11,
                     "search tool, pages corpus; collected for real validation in round 11", True, True),
    "round12": Round(REAL / "round12", "rw_", 2, 12,
                     "search tool, pages corpus; collected for real validation in round 12", True, True),
}


def _read(path: Path) -> list[dict]:
    return [row for _, row in iter_jsonl(path, [])]


def known_reports(rnd: Round) -> tuple[list[dict], set[str]]:
    """Every report of the project's data but the round's own, and the outlet and agency names (case-folded) the
    round may not use: every one for a round that measures, those that measure for a training round."""
    reports = [r for name in MEASURED for r in _read(REAL / name) if r.get("provenance") != rnd.provenance]
    reports += [r for name in UNLABELLED for r in _read(paths.DATA_DIR / "unlabelled" / name)]
    if not rnd.new_outlets:
        return reports, measured()[1]
    return reports, {o.casefold() for r in reports for o in (r["outlet"], r.get("source_group") or r["outlet"])}


def problem(row: dict, known_urls: set[str], heldout: set[str], outlets: set[str]) -> str | None:
    """Why a collected report cannot join the round (None: it can): the distillation rounds' checks, against the
    outlets the round may not use, and the writing agency the corpus would group it under."""
    why = unlabelled_problem(row, known_urls, heldout, outlets)
    if why is None and source_group(row["outlet"], row["outlet_country"], row["text"]).casefold() in outlets:
        return f"outlet {row['outlet']} carries an agency the round may not use"
    return why


def assemble(rnd: Round) -> list[dict]:
    """The round's reports that pass the checks, as the corpus keeps them (ids from the address)."""
    reports, outlets = known_reports(rnd)
    known = {r["url"].rstrip("/") for r in reports}
    kept, dropped = screen(sorted((rnd.folder / "_collect").glob("*.jsonl")), known, outlets, problem)
    vectors = TfidfVectorizer(sublinear_tf=True).fit([r["text"] for r in reports + kept])
    against, out = vectors.transform([r["text"] for r in reports]), []
    for row in kept:
        mine, art = vectors.transform([row["text"]]), _article(rnd, row)
        near = cosine_similarity(mine, against).max()
        if near >= NEAR or sum(o["source_group"] == art["source_group"] for o in out) >= rnd.per_outlet:
            dropped.append(f"{row['url']}: " + (f"near another report (cosine {near:.2f})" if near >= NEAR
                                                else f"one report too many of {art['source_group']}"))
            continue
        out.append(art)
        against = vstack([against, mine])
    print("\n".join(dropped))
    print(f"{len(out)} kept, {len(dropped)} dropped, {len({r['source_group'] for r in out})} outlets")
    return out


def _article(rnd: Round, row: dict) -> dict:
    return {"article_id": rnd.prefix + hashlib.sha1(row["url"].encode()).hexdigest()[:8], "url": row["url"],
            "outlet": row["outlet"], "outlet_country": row["outlet_country"],
            "source_group": source_group(row["outlet"], row["outlet_country"], row["text"]), "date": row["date"],
            "title": row["title"], "partial": bool(row["partial"] or len(row["text"]) >= EXCERPT_CAP),
            "meeting": row["meeting"], "text": row["text"], "provenance": rnd.provenance}


def _parts(rnd: Round, pattern: str) -> list[dict]:
    return [row for f in sorted((rnd.folder / "_label").glob(pattern)) for row in _read(f)]


def sheets(rnd: Round) -> list[list[dict]]:
    """The sheet parts: whole articles, in article-id order, dealt round-robin into ``PARTS`` parts."""
    arts = sorted(_read(rnd.folder / "assembled.jsonl"), key=lambda r: r["article_id"])
    return [[row for art in arts[k::PARTS] for row in sheet_rows(art)] for k in range(PARTS)]


def disagreements(rnd: Round) -> list[dict]:
    """Sentences both passes labelled differently, with their article's sentences; X and Y drawn per sentence."""
    a, b = ({r["id"]: r["labels"] for r in _parts(rnd, f"pass_{p}_part*.jsonl")} for p in "AB")
    return blind_pairs(_parts(rnd, "sheet_part*.jsonl"), a, b, rnd.seed)


def labelled(rnd: Round) -> tuple[list[dict], list[dict]]:
    """The round's articles (with their summaries) and sentences (gold and both passes), as the corpus keeps them."""
    summaries = {r["article_id"]: r["summary"] for r in _parts(rnd, "summaries_part*.jsonl")}
    arts = [a | {"summary": summaries[a["article_id"]]} for a in sorted(_read(rnd.folder / "assembled.jsonl"),
                                                                          key=lambda r: r["article_id"])]
    a, b = ({r["id"]: r["labels"] for r in _parts(rnd, f"pass_{p}_part*.jsonl")} for p in "AB")
    adjudicated = {r["id"]: r["labels"] for r in _parts(rnd, "adjudication_part*.jsonl")}
    rows = [row | {"text": one_sentence(row["text"])} | gold_fields(row["id"], a, b, adjudicated) | {"source": "real"}
            for row in _parts(rnd, "sheet_part*.jsonl")]
    rows = sorted(rows, key=lambda r: (r["article_id"], r["sentence_index"]))
    if not rnd.to_validation:  # a validation round's sentences are relabelled in the corpus, with the corpus's
        relabel_round_rows(rows, rnd.folder / "_label")
    return arts, rows


def build(rnd: Round) -> None:
    """Round 7: append to data/real/ and pin to real validation (refuses a report already there). Rounds 8, 9, 10:
    their own articles.jsonl and sentences.jsonl (8 and 9 train where a config names the folder; 10 only measures)."""
    arts, rows = labelled(rnd)
    if not rnd.to_validation:
        write_jsonl_atomic(rnd.folder / "articles.jsonl", arts)
        write_jsonl_atomic(rnd.folder / "sentences.jsonl", rows)
        print(json.dumps({"articles": len(arts), "sentences": len(rows)} | agreement(rows), indent=1))
        return
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


def write_sheets(rnd: Round) -> None:
    for k, part in enumerate(sheets(rnd), start=1):
        write_jsonl_atomic(rnd.folder / "_label" / f"sheet_part{k}.jsonl", part)
        print(f"part {k}: {len({r['article_id'] for r in part})} articles, {len(part)} sentences")


def write_disagreements(rnd: Round) -> None:
    rows = disagreements(rnd)
    write_jsonl_atomic(rnd.folder / "_label" / "adjudication_sheet.jsonl", rows)
    print(f"{len(rows)} disagreements")


STEPS = {"assemble": lambda rnd: write_jsonl_atomic(rnd.folder / "assembled.jsonl", assemble(rnd)),
         "sheet": write_sheets, "disagreements": write_disagreements, "build": build}


def main(args: list[str]) -> None:
    if len(args) != 2 or args[0] not in ROUNDS or args[1] not in STEPS:
        raise SystemExit(f"usage: news_round.py {'|'.join(ROUNDS)} {'|'.join(STEPS)}")
    STEPS[args[1]](ROUNDS[args[0]])


if __name__ == "__main__":
    main(sys.argv[1:])
