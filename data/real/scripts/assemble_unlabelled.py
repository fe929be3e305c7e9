"""Assemble the unlabelled reports collected for distillation (docs/decisions.md, 2026-12-03) into
data/unlabelled/articles.jsonl (first round) and articles_r2.jsonl (second round).

The collectors' files (data/unlabelled/_collect/*.jsonl, found with the `pages` corpus of the project's search tool,
texts as published) are checked again here, by code: a page already in the corpus or the second real test set, a
held-out address, an outlet or agency of real validation, real test or the second real test set, a text near any of
those reports, an earlier round's or an earlier collected one (TF-IDF cosine >= 0.5) is dropped and named. Nothing
is labelled.

    .venv/bin/python data/real/scripts/assemble_unlabelled.py
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable
from pathlib import Path

from scipy.sparse import vstack
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics.pairwise import cosine_similarity

from accord import paths
from accord.data.real import read_heldout
from accord.io import iter_jsonl, write_jsonl_atomic

REAL = Path(__file__).resolve().parents[1]
OUT = paths.DATA_DIR / "unlabelled"
FIELDS = ("url", "outlet", "outlet_country", "date", "title", "partial", "meeting", "text")
NEAR = 0.5  # TF-IDF cosine at or above which two reports count as copies of one (the earlier rounds' check)
# agencies with a held-out report whose address does not tell its meeting: a carried copy could be that report
UNIDENTIFIED_HELDOUT_AGENCIES = ("kuna", "kuwait news agency")


def measured() -> tuple[list[dict], set[str]]:
    """Every report of the corpus and the second real test set, and the outlets no training text may come from."""
    splits = json.loads((REAL / "splits.json").read_text(encoding="utf-8"))
    held = {a for name in ("real_validation", "real_test") for a in splits[name]}
    corpus = [r for _, r in iter_jsonl(REAL / "articles.jsonl", [])]
    round5 = [r for _, r in iter_jsonl(REAL / "round5" / "articles.jsonl", [])]
    outlets = {o for r in corpus if r["article_id"] in held for o in (r["outlet"], r["source_group"])}
    outlets |= {o for r in round5 for o in (r["outlet"], r.get("source_group") or r["outlet"])}
    return corpus + round5, {o.casefold() for o in outlets}


Check = Callable[[dict, set[str], set[str], set[str]], "str | None"]  # (row, known urls, held out, outlets) -> why


def problem(row: dict, known_urls: set[str], heldout: set[str], outlets: set[str]) -> str | None:
    if any(k not in row for k in FIELDS) or not isinstance(row["text"], str) or len(row["text"]) < 200:
        return "missing fields or a text under 200 characters"
    url = row["url"].rstrip("/")
    if url in heldout:
        return "a held-out report"
    if url in known_urls:
        return "a page already in the corpus or collected"
    if any(a in (row["outlet"] + " " + row["text"][:300]).casefold() for a in UNIDENTIFIED_HELDOUT_AGENCIES):
        return "carried from an agency whose held-out report cannot be told apart by its address"
    head = row["text"][:300].casefold()  # an agency credit such as "(Yonhap)" near the top
    credited = [o for o in outlets if len(o) > 3 and f"({o})" in head]
    if row["outlet"].casefold() in outlets or credited:
        return f"outlet {row['outlet']} {credited or ''} is used to measure"
    return None


ROUNDS = {  # output file -> the collectors' files of that round, in the order the rounds were collected
    "articles.jsonl": ("asia", "mea", "west"),
    "articles_r2.jsonl": ("r2_asia", "r2_world"),
}


def screen(files: Iterable[Path], known: set[str], outlets: set[str], check: Check = problem
           ) -> tuple[list[dict], list[str]]:
    """The collected rows of ``files`` that ``check`` passes, and why each other one was dropped (FILE:LINE).
    ``known`` gains every address read, so a page collected twice is dropped the second time."""
    heldout, kept, dropped = read_heldout(paths.HELDOUT_FILE), [], []
    for path in files:
        for line, row in iter_jsonl(path, []):
            why = check(row, known, heldout, outlets)
            (dropped.append(f"{path.name}:{line}: {why}") if why else kept.append(row))
            known.add(str(row.get("url", "")).rstrip("/"))
    return kept, dropped


def assemble(names: tuple[str, ...], reports: list[dict], outlets: set[str], known: set[str]) -> list[dict]:
    """One round's reports that pass the checks against ``reports`` (the measured ones and earlier rounds)."""
    kept, dropped = screen((OUT / "_collect" / f"{name}.jsonl" for name in names), known, outlets)
    vectors = TfidfVectorizer(sublinear_tf=True).fit([r["text"] for r in reports + kept])
    against, out = vectors.transform([r["text"] for r in reports]), []
    for row in kept:  # against the measured reports, earlier rounds and this round's reports kept so far
        mine = vectors.transform([row["text"]])
        near = cosine_similarity(mine, against).max()
        if near >= NEAR:
            dropped.append(f"{row['url']}: near another report (cosine {near:.2f})")
            continue
        out.append({"article_id": "ul_" + hashlib.sha1(row["url"].encode()).hexdigest()[:8],
                    **{k: row[k] for k in FIELDS}})
        against = vstack([against, mine])
    print("\n".join(dropped))
    print(f"{len(out)} kept, {len(dropped)} dropped, {len({r['outlet'] for r in out})} outlets")
    return out


def main() -> None:
    reports, outlets = measured()
    known = {r["url"].rstrip("/") for r in reports}
    for output, names in ROUNDS.items():  # every round again, each checked against the rounds before it
        if not all((OUT / "_collect" / f"{name}.jsonl").is_file() for name in names):
            continue
        out = assemble(names, reports, outlets, known)
        write_jsonl_atomic(OUT / output, out)
        reports = reports + out


if __name__ == "__main__":
    main()
