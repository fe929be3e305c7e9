"""The real-article corpus (``data/real/``): published reports, their sentences labelled in two independent passes,
and the splits that measure generalisation to outlets a model never saw.

- ``articles.jsonl``: one published report a line, as published, with ``url``, ``outlet``, ``outlet_country``,
  ``source_group`` (the agency that wrote the text: a Yonhap story carried by another paper is Yonhap's), ``date``,
  ``partial`` (only part of the text could be recovered), ``meeting`` and a one-sentence reference ``summary``.
- ``sentences.jsonl``: every sentence of those articles by the project's splitter, with the gold ``labels``, both
  passes (``labels_a``, ``labels_b``) and ``adjudicated`` where they disagreed; ``source: "review"`` rows come from
  ``accord review import`` (users' own labelled news) and always train.

:func:`split_by_outlet` assigns whole source groups to ``real_test`` and ``real_validation`` (no outlet on both sides
of a split), choosing among seeded candidate partitions the one whose label shares best match the corpus's.
``splits.json`` freezes that choice: once a test split has been read, articles added later (more training data)
must not reshuffle it, so :func:`apply_frozen` keeps the frozen validation and test articles where they are and sends
every new article to train, refusing one whose outlet or agency is already on the validation or test side.
"""

from __future__ import annotations

import json
import random
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from accord.data.corpus import check_keys, sentence_row_errors
from accord.io import InputError, iter_jsonl
from accord.labels import LABELS
from accord.text import split_sentences

REAL_SOURCES = ("real", "review")  # published reports labelled in two passes; sentences users labelled
ARTICLE_KEYS = {"article_id": str, "url": str, "outlet": str, "source_group": str, "partial": bool, "text": str,
                "summary": str}
SPLIT_CANDIDATES = 4000  # seeded random group partitions scored for label balance; the best one is used
MIN_SHARE = 0.5  # a split should hold at least this share of its target for every label (as far as possible)


@dataclass
class RealCorpus:
    """Articles and sentences as loaded, with the lines they came from."""

    articles: dict[str, dict[str, Any]] = field(default_factory=dict)
    sentences: list[dict[str, Any]] = field(default_factory=list)
    article_lines: dict[str, int] = field(default_factory=dict)
    sentence_lines: list[int] = field(default_factory=list)
    article_files: dict[str, Path] = field(default_factory=dict)  # where an article was read, if not the corpus file

    def groups(self) -> dict[str, str]:
        """Article id -> the unit of the outlet split: articles that share an outlet or a source group are joined
        (a Yonhap story in the Korea Herald ties Yonhap to the Korea Herald), so no outlet and no writing agency
        is on both sides of a split."""
        parent: dict[str, str] = {}

        def find(x: str) -> str:
            parent.setdefault(x, x)
            while parent[x] != x:
                parent[x] = parent[parent[x]]
                x = parent[x]
            return x

        for a in self.articles.values():
            parent[find("outlet:" + a["outlet"])] = find("group:" + a["source_group"])
        return {aid: find("group:" + a["source_group"]) for aid, a in self.articles.items()}


def load_real(articles_path: str | Path, sentences_path: str | Path) -> tuple[RealCorpus, list[InputError]]:
    """Load both files; rows failing the schema are reported (FILE:LINE) and left out."""
    errors: list[InputError] = []
    corpus = RealCorpus()
    ap, sp = Path(articles_path), Path(sentences_path)
    for line, row in iter_jsonl(ap, errors):
        row_errors = check_keys(row, ARTICLE_KEYS, ap, line)
        if not row_errors and row["article_id"] in corpus.articles:
            row_errors.append(InputError(ap, f"duplicate article {row['article_id']!r}", line))
        errors += row_errors
        if not row_errors:
            corpus.articles[row["article_id"]] = row
            corpus.article_lines[row["article_id"]] = line
    for line, row in iter_jsonl(sp, errors):
        row_errors = sentence_row_errors(row, sp, line, REAL_SOURCES)
        errors += row_errors
        if not row_errors:
            corpus.sentences.append(row)
            corpus.sentence_lines.append(line)
    return corpus, errors


def validate_real(articles_path: str | Path, sentences_path: str | Path, heldout: set[str] | None = None,
                  frozen: dict[str, Any] | None = None,
                  kept_apart: tuple[set[str], set[str]] | None = None) -> list[InputError]:
    """Every problem of the real corpus: schema, duplicates, sentences that are not one clean sentence, labelled
    articles missing, summaries that are not one 15-40-word sentence, any held-out address, new articles that
    would put an outlet of the frozen validation/test splits into train, and any report or new outlet of the second
    real test set (``kept_apart``: :func:`read_kept_apart`)."""
    corpus, errors = load_real(articles_path, sentences_path)
    if frozen is not None:
        errors += apply_frozen(corpus, frozen, articles_path)[1]
    if kept_apart is not None:
        errors += kept_apart_errors(corpus, kept_apart, articles_path)
    ap, sp = Path(articles_path), Path(sentences_path)
    for aid, art in corpus.articles.items():
        line = corpus.article_lines[aid]
        if heldout and art["url"].rstrip("/") in heldout:
            errors.append(InputError(ap, f"{art['url']} is a held-out report: it must not be in the corpus", line))
        words = len(art["summary"].split())
        if not 15 <= words <= 40 or len(split_sentences(art["summary"])) != 1:
            errors.append(InputError(ap, f"summary must be one sentence of 15-40 words ({words} words)", line))
    seen: dict[str, int] = {}
    for row, line in zip(corpus.sentences, corpus.sentence_lines, strict=True):
        if row["id"] in seen:
            errors.append(InputError(sp, f"duplicate id {row['id']!r} (first on line {seen[row['id']]})", line))
        seen.setdefault(row["id"], line)
        if row["source"] == "real" and row["article_id"] not in corpus.articles:
            errors.append(InputError(sp, f"article {row['article_id']!r} is not in {ap.name}", line))
        if row["source"] == "real" and split_sentences(row["text"]) != [row["text"]]:
            errors.append(InputError(sp, "text is not exactly one clean sentence by the project's splitter", line))
    return errors


MEASURE_ONLY = "to measure only"  # in a round's provenance: a test set kept apart, never trained or tuned on


def measures_only(articles: dict[str, dict[str, Any]]) -> bool:
    """Whether a labelled round was collected to measure only (its reports' provenance says so)."""
    return bool(articles) and all(MEASURE_ONLY in str(a.get("provenance", "")) for a in articles.values())


def add_round(corpus: RealCorpus, folder: str | Path) -> list[InputError]:
    """Add a labelled round kept apart from the corpus (``data.train_rounds``) to ``corpus``: its reports train. A
    report already in the corpus is refused (FILE:LINE); the split then refuses one from a validation or test
    outlet, as it does a new corpus report."""
    ap, sp = Path(folder) / "articles.jsonl", Path(folder) / "sentences.jsonl"
    part, errors = load_real(ap, sp)
    return errors + _merge_round(corpus, part, ap)


def _merge_round(corpus: RealCorpus, part: RealCorpus, articles_path: Path) -> list[InputError]:
    """Move ``part``'s reports and their sentences into ``corpus``; one already there is refused (FILE:LINE), and a
    round collected to measure only (a test set) is refused whole, naming its folder."""
    if measures_only(part.articles):
        return [InputError(articles_path, f"{articles_path.parent.name} was collected {MEASURE_ONLY} (a test set): "
                                          "it never trains")]
    errors = []
    for aid in part.articles:
        if aid in corpus.articles:
            errors.append(InputError(articles_path, f"article {aid} is already in the corpus", part.article_lines[aid]))
            continue
        corpus.articles[aid], corpus.article_lines[aid], corpus.article_files[aid] = \
            part.articles[aid], part.article_lines[aid], articles_path
    for row, line in zip(part.sentences, part.sentence_lines, strict=True):
        if row["article_id"] in corpus.article_files:  # its article was added, not refused
            corpus.sentences.append(row)
            corpus.sentence_lines.append(line)
    return errors


def round_errors(articles_path: str | Path, sentences_path: str | Path, folders: list[Path], heldout: set[str],
                 frozen: dict[str, Any] | None, kept_apart: tuple[set[str], set[str]]) -> list[InputError]:
    """Every problem of the labelled rounds ``folders`` (``data.train_rounds``): each checked as the corpus is
    (:func:`validate_real`), then against the corpus: a report already in it, or from an outlet or agency of the
    frozen validation/test splits; a round collected to measure only never trains."""
    corpus, _ = load_real(articles_path, sentences_path)  # the corpus's own problems are validate_real's
    errors = []
    for folder in folders:
        ap, sp = folder / "articles.jsonl", folder / "sentences.jsonl"
        errors += validate_real(ap, sp, heldout, None, kept_apart)  # the round's own problems, schema included
        errors += _merge_round(corpus, load_real(ap, sp)[0], ap)
    if frozen is not None:
        errors += [e for e in apply_frozen(corpus, frozen, articles_path)[1] if e.path != str(articles_path)]
    return errors


def read_heldout(path: str | Path) -> set[str]:
    """Addresses listed in a held-out file (one per line, ``#`` comments); empty when the file is absent."""
    p = Path(path)
    if not p.exists():
        return set()
    return {line.strip().rstrip("/") for line in p.read_text(encoding="utf-8").splitlines()
            if line.strip() and not line.startswith("#")}


def _group_counts(corpus: RealCorpus) -> dict[str, Counter[str]]:
    """Per source group: articles, sentences and sentences per label (real sentences only)."""
    groups = corpus.groups()
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    for group in groups.values():
        counts[group]["articles"] += 1
    for s in corpus.sentences:
        if s["source"] == "real" and s["article_id"] in groups:
            c = counts[groups[s["article_id"]]]
            c["sentences"] += 1
            c.update(s["labels"])
    return counts


def _partition_score(parts: dict[str, list[str]], counts: dict[str, Counter[str]], totals: Counter[str],
                     fractions: dict[str, float]) -> float:
    """How far each split's articles and label counts are from its share (relative error, shortfalls doubled)."""
    score = 0.0
    for name, groups in parts.items():
        got: Counter[str] = sum((counts[g] for g in groups), Counter())
        for key in ("articles", *LABELS):
            want = fractions[name] * totals[key]
            if want:
                gap = (got[key] - want) / want
                score += abs(gap) * (2.0 if got[key] < MIN_SHARE * want else 1.0)
    return score


def split_by_outlet(corpus: RealCorpus, validation_fraction: float, test_fraction: float, seed: int
                    ) -> dict[str, str]:
    """Article id -> ``real_train`` / ``real_validation`` / ``real_test``, whole source groups at a time."""
    counts = _group_counts(corpus)
    totals: Counter[str] = sum(counts.values(), Counter())
    fractions = {"real_test": test_fraction, "real_validation": validation_fraction}
    rng = random.Random(seed)
    names = sorted(counts)
    best, best_score = None, float("inf")
    for _ in range(SPLIT_CANDIDATES):
        order = names[:]
        rng.shuffle(order)
        parts: dict[str, list[str]] = {"real_test": [], "real_validation": []}
        filled = dict.fromkeys(parts, 0)
        for group in order:
            open_parts = [p for p in parts if filled[p] < fractions[p] * totals["articles"]]
            if open_parts:
                parts[open_parts[0]].append(group)
                filled[open_parts[0]] += counts[group]["articles"]
        score = _partition_score(parts, counts, totals, fractions)
        if score < best_score:
            best, best_score = parts, score
    assert best is not None
    split_of = {g: name for name, groups in best.items() for g in groups}
    return {aid: split_of.get(group, "real_train") for aid, group in corpus.groups().items()}


def freeze(assignment: dict[str, str], settings: dict[str, float]) -> dict[str, Any]:
    """The JSON that pins a split: its validation and test article ids and the settings it was made with."""
    return {"made_with": settings,
            **{name: sorted(a for a, s in assignment.items() if s == name)
               for name in ("real_validation", "real_test")}}


def read_frozen(path: str | Path, settings: dict[str, float]) -> dict[str, Any] | None:
    """The frozen split at ``path`` if it exists and was made with ``settings`` (another seed means a new split)."""
    p = Path(path) if path else None
    if p is None or not p.exists():
        return None
    try:
        frozen = json.loads(p.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(p, f"cannot read the frozen splits: {exc}") from None
    return frozen if frozen.get("made_with") == settings else None


def apply_frozen(corpus: RealCorpus, frozen: dict[str, Any], articles_path: str | Path
                 ) -> tuple[dict[str, str], list[InputError]]:
    """Frozen articles keep their split, new ones train; a new article that shares an outlet or agency with a frozen
    validation/test article is an error (it would put that outlet on both sides of the split)."""
    pinned = {aid: name for name in ("real_validation", "real_test") for aid in frozen.get(name, [])}
    groups = corpus.groups()
    held_groups = {groups[aid]: pinned[aid] for aid in pinned if aid in groups}
    assignment, errors = {}, []
    for aid, group in groups.items():
        assignment[aid] = pinned.get(aid, "real_train")
        if aid not in pinned and group in held_groups:
            errors.append(InputError(corpus.article_files.get(aid, articles_path),
                                     f"article {aid} ({corpus.articles[aid]['outlet']}) "
                                     f"shares its outlet or agency with the frozen {held_groups[group]} split: "
                                     "leave it out or make a new split", corpus.article_lines.get(aid)))
    return assignment, errors


def read_kept_apart(folder: str | Path, errors: list[InputError] | None = None) -> tuple[set[str], set[str]]:
    """Addresses of a round kept out of the corpus (the second real test set, ``data.second_test_dir``) and the
    outlets and agencies of its reports from outlets in no corpus split; empty when there is none. A line that
    cannot be read, or lacks a field, is named in ``errors`` (FILE:LINE): the check would otherwise miss its report.
    """
    path = Path(folder) / "articles.jsonl"
    if not path.is_file():
        return set(), set()
    errors = [] if errors is None else errors
    urls: set[str] = set()
    groups: set[str] = set()
    for lineno, row in iter_jsonl(path, errors):
        missing = [k for k in ("url", "outlet", "source_group") if not isinstance(row.get(k), str)]
        if missing:
            errors.append(InputError(path, f"missing or non-text field(s) {', '.join(missing)}", lineno))
            continue
        urls.add(row["url"].rstrip("/"))
        if not row.get("outlet_in_corpus"):
            groups |= {row["outlet"], row["source_group"]}
    return urls, groups


def kept_apart_errors(corpus: RealCorpus, kept: tuple[set[str], set[str]], articles_path: str | Path
                      ) -> list[InputError]:
    """A corpus article that is one of the second test set's reports, or that shares an outlet or agency with its
    new-outlet reports, would train on (or next to) what that set measures: named, one error each."""
    urls, groups = kept
    errors = []
    for aid, art in corpus.articles.items():
        clash = ("is a report of the second real test set" if art["url"].rstrip("/") in urls
                 else "shares its outlet or agency with the second real test set"
                 if {art["outlet"], art["source_group"]} & groups else "")
        if clash:
            errors.append(InputError(articles_path, f"article {aid} ({art['outlet']}) {clash}: leave it out",
                                     corpus.article_lines.get(aid)))
    return errors


def agreement(sentences: list[dict[str, Any]]) -> dict[str, Any]:
    """Per-label Cohen's kappa and pass-B-vs-pass-A macro-F1 over sentences labelled in both passes (rows of a later
    relabelling are given as their ``relabel`` record, which holds its own two passes).

    A label that both passes give to every sentence or to none has no kappa (``None``: chance agreement is total)
    and is left out of the macro-F1, which would otherwise count a unanimous "no" as F1 0 on small relabelled
    subsets."""
    from sklearn.metrics import cohen_kappa_score, f1_score

    both = [s for s in sentences if "labels_a" in s and "labels_b" in s]
    a = np.array([[name in s["labels_a"] for name in LABELS] for s in both], dtype=int).reshape(-1, len(LABELS))
    b = np.array([[name in s["labels_b"] for name in LABELS] for s in both], dtype=int).reshape(-1, len(LABELS))
    varied = [len(set(a[:, j]) | set(b[:, j])) > 1 for j in range(len(LABELS))]
    kappa = {name: float(cohen_kappa_score(a[:, j], b[:, j])) if varied[j] else None
             for j, name in enumerate(LABELS)}
    used = a.any(axis=0) | b.any(axis=0)
    macro = float(f1_score(a[:, used], b[:, used], average="macro", zero_division=0)) if used.any() else 1.0
    return {"sentences": len(both), "kappa": kappa, "macro_f1_b_vs_a": macro,
            "disagreements": int((a != b).any(axis=1).sum()),
            "adjudicated": sum(bool(s.get("adjudicated")) for s in both)}


TEXT_PICKED = "picked by a regex over the texts in every split"
RELABELLINGS = {  # procedure -> what it relabelled, how it was picked, the script that did it (docs/decisions.md)
    "field_ministers_2026-12-02": ("the field-ministers sentences", TEXT_PICKED, "relabel_field_ministers.py"),
    "security_2026-12-03": ("regional security, nuclear power, conflicts, North Korea and irregular migration "
                            "sentences", TEXT_PICKED, "relabel_security.py"),
    "disagreements_2026-12-04": ("the real-validation sentences on which classifiers v2, v4 and v5 of stop 41 "
                                 "differ", "picked by those models' predictions, validation only",
                                 "relabel_disagreements.py"),
    "open_cases_2026-12-05": ("the cases rounds 11 and 12 left open (one field office, returns and readmission, "
                              "citizenship, recognition of qualifications, the community, kin minorities, "
                              "localities, aid, strikes)", TEXT_PICKED, "relabel_open_cases.py"),
    "open_cases_b_2026-12-05": ("the cases the relabelling before left open (armed forces in disaster relief, a "
                                "technology named by a project, the community and the home economy, a locality and "
                                "a whole country, own citizenship rules, pointing back beside a field office, the "
                                "business community, condolences, mines)", TEXT_PICKED, "relabel_open_cases_b.py"),
}


def relabel_chain(row: dict[str, Any]) -> list[tuple[dict[str, Any], list[str], list[str]]]:
    """A sentence's blind relabellings, newest first: each record with the gold it replaced and the gold it gave
    (a later relabelling keeps the earlier record under ``earlier``)."""
    out, record, after = [], row.get("relabel"), row["labels"]
    while record:
        before = record.get("labels_replaced", record["labels_before"])
        out.append((record, before, after))
        record, after = record.get("earlier"), before
    return out


def relabelled(sentences: list[dict[str, Any]], procedure: str | None = None) -> dict[str, Any] | None:
    """One blind relabelling of a subset (``relabel`` records of ``procedure``; any when ``None``): its two passes'
    agreement and how many gold label sets it changed; ``None`` when no row was relabelled by it."""
    steps = [(record, before, after) for s in sentences for record, before, after in relabel_chain(s)
             if procedure is None or record.get("procedure") == procedure]
    if not steps:
        return None
    changed = sum(sorted(before) != sorted(after) for _, before, after in steps)
    return {**agreement([record for record, _, _ in steps]), "changed": changed}
