"""Per-article briefs: counts and shares per category, the top sentences, and (with a summariser) summaries that
passed the soundness checks, else the extract with the reason."""

from __future__ import annotations

from typing import Any

from accord.batch.models import SUMMARY_CALL
from accord.labels import LABELS, OTHER
from accord.summarise.guard import brief_problems
from accord.text import is_furniture

TOP_K = 3  # top sentences per category in a brief
SUMMARY_MODES = ("none", "article", "all")  # --summaries: none, the article's, the article's and each category's
# One generation per article: "all" adds one per category with two or more sentences (up to five more), the bulk of
# the cost of briefs; "none" does not even load the summariser (docs/batch.md)
DEFAULT_SUMMARIES = "article"
SUMMARY_BATCH = SUMMARY_CALL  # articles whose summaries are written in one summariser call (briefs go out in order)


def build_brief(article_id: str, title: str | None, rows: list[dict[str, Any]], top_k: int = TOP_K
                ) -> dict[str, Any]:
    """Counts and shares of sentences per category (and other), categories present (most first), top sentences."""
    n = len(rows)
    counts = {name: sum(name in r["labels"] for r in rows) for name in LABELS}
    counts[OTHER] = sum(not r["labels"] for r in rows)
    present = sorted((name for name in LABELS if counts[name]), key=lambda k: (-counts[k], LABELS.index(k)))
    top = {}
    for name in present:
        ranked = sorted((r for r in rows if name in r["labels"]), key=lambda r: -r["scores"][name])[:top_k]
        top[name] = [{"sentence_index": r["sentence_index"], "text": r["text"], "score": r["scores"][name]}
                     for r in ranked]
    return {"article_id": article_id, "title": title, "n_sentences": n, "counts": counts,
            "shares": {k: round(v / n, 4) if n else 0.0 for k, v in counts.items()}, "categories": present,
            "top_sentences": top, "summary": None, "category_summaries": {}, "extractive": {}}


def add_summaries(brief: dict[str, Any], rows: list[dict[str, Any]], summariser: Any, mode: str = "all") -> None:
    """Fill ``summary`` (the whole article) and, with ``mode`` ``all``, ``category_summaries`` (each category's
    sentences) in place (``mode`` ``article``: the article's summary only).

    A category with a single sentence keeps that sentence as its summary: it already is one sentence, and
    rewriting it can only add risk (the summariser was trained on whole reports). An abstractive summary that fails
    :func:`~accord.summarise.guard.soundness_problems`, or that the summariser itself doubts (``doubts``: its own
    draws disagree with it), is replaced by a sentence of its source (the article's first, the category's
    top-scored) and the reasons are kept in ``brief["extractive"]`` (``"summary"`` or the category).
    """
    add_summaries_many([(brief, rows)], summariser, mode)


def add_summaries_many(articles: list[tuple[dict[str, Any], list[dict[str, Any]]]], summariser: Any,
                       mode: str = "all") -> None:
    """:func:`add_summaries` for several articles with one summariser call: the decoder batches documents of
    similar length, so a few articles at once write their summaries faster than one at a time."""
    jobs = [_summary_jobs(brief, rows, mode) for brief, rows in articles]
    documents = [doc for job in jobs for _, doc, _ in job]
    summaries = [str(s) for s in summariser.predict(documents)["summary"]]
    doubts = brief_problems(summariser, documents, summaries)
    for (brief, rows), job in zip(articles, jobs, strict=True):
        done, summaries = summaries[:len(job)], summaries[len(job):]
        found, doubts = doubts[:len(job)], doubts[len(job):]
        _apply_summaries(brief, rows, job, done, found, mode)


def _summary_jobs(brief: dict[str, Any], rows: list[dict[str, Any]], mode: str) -> list[tuple[str, str, str]]:
    """``(key, document, fallback)`` for the article and, with ``all``, each category of two or more sentences.
    Page furniture ("Photo : YONHAP News") is neither read nor shown as the article's gist: without it the
    summaries of real validation scored higher and garbled less (evaluation/reports/furniture/)."""
    news = [r["text"] for r in rows if not is_furniture(r["text"])] or [r["text"] for r in rows]
    jobs = [("summary", " ".join(news), news[0])]
    for name in brief["categories"] if mode == "all" else []:
        texts = [r["text"] for r in rows if name in r["labels"]]
        if len(texts) > 1:
            jobs.append((name, " ".join(texts), brief["top_sentences"][name][0]["text"]))
    return jobs


def _apply_summaries(brief: dict[str, Any], rows: list[dict[str, Any]], jobs: list[tuple[str, str, str]],
                     summaries: list[str], doubts: list[list[str]], mode: str) -> None:
    brief["extractive"] = {}
    kept = {}
    for (key, _, fallback), summary, problems in zip(jobs, summaries, doubts, strict=True):
        if problems:
            summary = fallback
            brief["extractive"][key] = problems
        kept[key] = summary
    brief["summary"] = kept["summary"]
    brief["category_summaries"] = {
        name: kept.get(name, next(r["text"] for r in rows if name in r["labels"])) for name in brief["categories"]
        if mode == "all"}


def format_brief(brief: dict[str, Any]) -> str:
    """A brief as plain text for a terminal."""
    head = brief["article_id"] + (f" — {brief['title']}" if brief.get("title") else "")
    lines = [head, "=" * min(len(head), 100), f"{brief['n_sentences']} sentences"]
    extractive = brief.get("extractive") or {}
    if brief.get("summary"):
        lines.append(f"Summary: {brief['summary']}" + (" [lead sentence]" if "summary" in extractive else ""))
    for name in [*brief["categories"], OTHER]:
        count = brief["counts"][name]
        if name == OTHER and not count:
            continue
        lines.append(f"\n{name}: {count} sentence{'s' if count != 1 else ''} ({brief['shares'][name]:.0%})")
        if brief["category_summaries"].get(name):
            mark = " [top sentence]" if name in extractive else ""
            lines.append(f"  in one sentence: {brief['category_summaries'][name]}{mark}")
        for top in brief["top_sentences"].get(name, []):
            lines.append(f"  - [{top['score']:.2f}] {top['text']}")
    return "\n".join(lines) + "\n"
