"""The labelled cooperation corpus (``data/sentences.jsonl`` + ``data/reports.jsonl``): load, validate, describe.

``accord data validate`` runs :func:`validate`: schema, unknown labels, duplicate ids and texts, near-duplicates,
report/sentence consistency, seed sentences equal to the splitter's output, and minimum counts. Every problem is an
:class:`~accord.io.InputError` naming the file and line.
"""

from __future__ import annotations

import itertools
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from accord import paths
from accord.io import InputError, iter_jsonl
from accord.labels import LABELS, OTHER, LabelError, check_labels
from accord.text import article_sentences, split_sentences

SOURCES = ("seed", "curated")
SENTENCE_KEYS = {"id": str, "article_id": str, "sentence_index": int, "text": str, "labels": list, "source": str}
REPORT_KEYS = {"article_id": str, "title": str, "text": str, "summary": str}
SUMMARY_WORDS = (15, 40)
NEAR_DUPLICATE_JACCARD = 0.6  # word-bigram Jaccard at or above which two sentences count as near-duplicates


@dataclass(frozen=True)
class Minimums:
    """Size bars of the curated corpus (the foundation issue's): minimum counts and sentences per report."""

    sentences: int = 700
    per_label: int = 90
    other: int = 250
    multi_label: int = 80
    report_sentences: tuple[int, int] = (8, 14)


@dataclass
class Corpus:
    """Sentences and reports as loaded, each row with the line it came from."""

    sentences: list[dict[str, Any]] = field(default_factory=list)
    reports: list[dict[str, Any]] = field(default_factory=list)
    sentence_lines: list[int] = field(default_factory=list)
    report_lines: list[int] = field(default_factory=list)

    def by_source(self, source: str) -> list[dict[str, Any]]:
        return [s for s in self.sentences if s["source"] == source]


def check_keys(row: dict[str, Any], keys: dict[str, type], path: Path, line: int) -> list[InputError]:
    """A problem per missing field or field of the wrong type."""
    errs = []
    for key, typ in keys.items():
        if key not in row:
            errs.append(InputError(path, f"missing field {key!r}", line))
        elif not isinstance(row[key], typ) or (typ is int and isinstance(row[key], bool)):
            errs.append(InputError(path, f"field {key!r} must be {typ.__name__}, got {type(row[key]).__name__}", line))
    return errs


def sentence_row_errors(row: dict[str, Any], path: str | Path, line: int, sources: tuple[str, ...] | set[str]
                        ) -> list[InputError]:
    """Schema problems of one sentence row (curated or real), each naming FILE:LINE; its labels are normalised in
    place when they are valid."""
    errors = check_keys(row, SENTENCE_KEYS, path, line)
    if errors:
        return errors
    try:
        row["labels"] = check_labels(row["labels"])
    except LabelError as exc:
        errors.append(InputError(path, str(exc), line))
    if row["source"] not in sources:
        errors.append(InputError(path, f"source must be one of {sources}", line))
    if not row["text"].strip():
        errors.append(InputError(path, "empty text", line))
    return errors


def load(
    sentences_path: Path = paths.SENTENCES_FILE, reports_path: Path = paths.REPORTS_FILE
) -> tuple[Corpus, list[InputError]]:
    """Load both files; rows failing the schema are reported and left out."""
    errors: list[InputError] = []
    corpus = Corpus()
    for line, row in iter_jsonl(sentences_path, errors):
        row_errors = sentence_row_errors(row, sentences_path, line, SOURCES)
        errors.extend(row_errors)
        if not row_errors:
            corpus.sentences.append(row)
            corpus.sentence_lines.append(line)
    for line, row in iter_jsonl(reports_path, errors):
        row_errors = check_keys(row, REPORT_KEYS, reports_path, line)
        errors.extend(row_errors)
        if not row_errors:
            corpus.reports.append(row)
            corpus.report_lines.append(line)
    return corpus, errors


def load_corpus(sentences_path: Path = paths.SENTENCES_FILE, reports_path: Path = paths.REPORTS_FILE) -> Corpus:
    """Load the corpus strictly: any schema error raises the first InputError."""
    corpus, errors = load(sentences_path, reports_path)
    if errors:
        raise errors[0]
    return corpus


_WORD = re.compile(r"[^\W_]+")


def _bigrams(text: str) -> frozenset[tuple[str, str]]:
    words = _WORD.findall(text.casefold())
    return frozenset(itertools.pairwise(words))


def near_duplicates(texts: list[str], threshold: float = NEAR_DUPLICATE_JACCARD) -> list[tuple[int, int, float]]:
    """Pairs ``(i, j, jaccard)`` of texts whose word-bigram Jaccard similarity is at least ``threshold``."""
    grams = [_bigrams(t) for t in texts]
    pairs = []
    for i, j in itertools.combinations(range(len(texts)), 2):
        a, b = grams[i], grams[j]
        if not a or not b:
            continue
        # cheap bound: Jaccard <= min/max size
        if min(len(a), len(b)) / max(len(a), len(b)) < threshold:
            continue
        sim = len(a & b) / len(a | b)
        if sim >= threshold:
            pairs.append((i, j, sim))
    return pairs


def label_counts(sentences: list[dict[str, Any]]) -> Counter[str]:
    """Sentences per label (plus ``other`` and ``multi_label``) and the total under ``sentences``."""
    counts: Counter[str] = Counter({name: 0 for name in (*LABELS, OTHER)})
    for s in sentences:
        counts.update(s["labels"] or [OTHER])
        counts["multi_label"] += len(s["labels"]) >= 2
    counts["sentences"] = len(sentences)
    return counts


def _check_sentences(corpus: Corpus, sp: Path) -> list[InputError]:
    """Duplicate ids and texts, texts that are not one clean sentence, near-duplicates."""
    errors = []
    seen_ids: dict[str, int] = {}
    seen_text: dict[str, int] = {}
    for s, line in zip(corpus.sentences, corpus.sentence_lines, strict=True):
        if s["id"] in seen_ids:
            errors.append(InputError(sp, f"duplicate id {s['id']!r} (first on line {seen_ids[s['id']]})", line))
        seen_ids.setdefault(s["id"], line)
        key = " ".join(s["text"].casefold().split())
        if key in seen_text:
            errors.append(InputError(sp, f"duplicate text (first on line {seen_text[key]})", line))
        seen_text.setdefault(key, line)
        if split_sentences(s["text"]) != [s["text"]]:
            errors.append(InputError(sp, "text is not exactly one clean sentence by the project's splitter", line))
    for i, j, sim in near_duplicates([s["text"] for s in corpus.sentences]):
        errors.append(InputError(sp, f"near-duplicate of line {corpus.sentence_lines[i]} (word-bigram Jaccard "
                                 f"{sim:.2f})", corpus.sentence_lines[j]))
    return errors


def _articles(corpus: Corpus) -> dict[str, list[dict[str, Any]]]:
    articles: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for s in corpus.sentences:
        articles[s["article_id"]].append(s)
    for rows in articles.values():
        rows.sort(key=lambda r: r["sentence_index"])
    return articles


def _check_articles(articles: dict[str, list[dict[str, Any]]], line_of: dict[str, int], sp: Path
                    ) -> list[InputError]:
    errors = []
    for article_id, rows in articles.items():
        if [r["sentence_index"] for r in rows] != list(range(len(rows))):
            errors.append(InputError(sp, f"article {article_id!r}: sentence_index is not 0..{len(rows) - 1}",
                                     line_of[rows[0]["id"]]))
        if len({r["source"] for r in rows}) > 1:
            errors.append(InputError(sp, f"article {article_id!r} mixes sources", line_of[rows[0]["id"]]))
    return errors


def _check_seeds(articles: dict[str, list[dict[str, Any]]], line_of: dict[str, int], sp: Path, seeds_dir: Path
                 ) -> list[InputError]:
    """Seeds: exactly the splitter's sentences of each seed file, in order."""
    errors = []
    seed_files = {p.stem: p for p in sorted(Path(seeds_dir).glob("*.txt"))}
    seed_articles = {a for a, rows in articles.items() if rows[0]["source"] == "seed"}
    for stem in sorted(set(seed_files) - seed_articles):
        errors.append(InputError(sp, f"seed file {seed_files[stem].name} has no sentences in the corpus"))
    for article_id in sorted(seed_articles):
        rows = articles[article_id]
        first = line_of[rows[0]["id"]]
        if article_id not in seed_files:
            errors.append(InputError(sp, f"seed article {article_id!r} has no file in {seeds_dir}", first))
            continue
        expected, got = article_sentences(seed_files[article_id]), [r["text"] for r in rows]
        if got != expected:
            bad = next((k for k, (a, b) in enumerate(zip(got, expected, strict=False)) if a != b),
                       min(len(got), len(expected)))
            errors.append(InputError(sp, f"seed article {article_id!r} differs from its file's sentences at index "
                                     f"{bad} ({len(got)} rows, {len(expected)} sentences in the file)", first))
    return errors


def _check_report(r: dict[str, Any], rows: list[dict[str, Any]], minimums: Minimums | None, rp: Path, line: int
                  ) -> list[InputError]:
    errors = []
    if r["text"] != " ".join(x["text"] for x in rows):
        errors.append(InputError(rp, f"report {r['article_id']!r}: text is not its sentences joined in order", line))
    low, high = minimums.report_sentences if minimums else (1, len(rows))
    if not low <= len(rows) <= high:
        errors.append(InputError(rp, f"report {r['article_id']!r} has {len(rows)} sentences, want ({low}, {high})",
                                 line))
    n_words = len(r["summary"].split())
    if not SUMMARY_WORDS[0] <= n_words <= SUMMARY_WORDS[1]:
        errors.append(InputError(rp, f"summary has {n_words} words, want {SUMMARY_WORDS}", line))
    if len(split_sentences(r["summary"])) != 1:
        errors.append(InputError(rp, "summary is not one sentence", line))
    return errors


def _check_reports(corpus: Corpus, articles: dict[str, list[dict[str, Any]]], minimums: Minimums | None,
                   sp: Path, rp: Path) -> list[InputError]:
    """One report per curated article: text = its sentences in order, a 15-40-word one-sentence summary."""
    errors = []
    curated = {a for a, rows in articles.items() if rows[0]["source"] == "curated"}
    report_ids: dict[str, int] = {}
    for r, line in zip(corpus.reports, corpus.report_lines, strict=True):
        aid = r["article_id"]
        if aid in report_ids:
            errors.append(InputError(rp, f"duplicate report {aid!r} (first on line {report_ids[aid]})", line))
            continue
        report_ids[aid] = line
        if aid not in curated:
            errors.append(InputError(rp, f"report {aid!r} has no curated sentences in {sp.name}", line))
            continue
        errors += _check_report(r, articles[aid], minimums, rp, line)
    errors += [InputError(rp, f"curated article {aid!r} has no report") for aid in sorted(curated - set(report_ids))]
    return errors


def _check_minimums(corpus: Corpus, minimums: Minimums, sp: Path) -> list[InputError]:
    counts = label_counts(corpus.by_source("curated"))
    wants = {"sentences": minimums.sentences, OTHER: minimums.other, "multi_label": minimums.multi_label}
    wants |= {name: minimums.per_label for name in LABELS}
    return [InputError(sp, f"curated corpus has {counts[name]} {name} sentences, needs >= {want}")
            for name, want in wants.items() if counts[name] < want]


def validate(
    sentences_path: Path = paths.SENTENCES_FILE,
    reports_path: Path = paths.REPORTS_FILE,
    seeds_dir: Path = paths.SEEDS_DIR,
    minimums: Minimums | None = Minimums(),
) -> list[InputError]:
    """Every problem in the corpus, each naming file and line; an empty list means valid."""
    corpus, errors = load(sentences_path, reports_path)
    line_of = dict(zip((s["id"] for s in corpus.sentences), corpus.sentence_lines, strict=True))
    articles = _articles(corpus)
    errors += _check_sentences(corpus, sentences_path)
    errors += _check_articles(articles, line_of, sentences_path)
    errors += _check_seeds(articles, line_of, sentences_path, seeds_dir)
    errors += _check_reports(corpus, articles, minimums, sentences_path, reports_path)
    if minimums is not None:
        errors += _check_minimums(corpus, minimums, sentences_path)
    return errors
