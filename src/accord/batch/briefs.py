"""Per-article briefs: counts and shares per category, the top sentences, and (with a summariser) summaries that
passed the soundness checks, else the extract with the reason."""

from __future__ import annotations

from typing import Any

from accord.labels import LABELS, OTHER
from accord.summarise.guard import soundness_problems

TOP_K = 3  # top sentences per category in a brief
SUMMARY_MODES = ("none", "article", "all")  # --summaries: none, the article's, the article's and each category's
# One generation per article: "all" adds one per category with two or more sentences (up to five more), the bulk of
# the cost of briefs; "none" does not even load the summariser (docs/batch.md)
DEFAULT_SUMMARIES = "article"


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
    :func:`~accord.summarise.guard.soundness_problems` is replaced by a sentence of its source (the article's first,
    the category's top-scored) and the reasons are kept in ``brief["extractive"]`` (``"summary"`` or the category).
    """
    texts = {name: [r["text"] for r in rows if name in r["labels"]] for name in brief["categories"]}
    to_summarise = [name for name in brief["categories"] if len(texts[name]) > 1 and mode == "all"]
    documents = [" ".join(r["text"] for r in rows)] + [" ".join(texts[name]) for name in to_summarise]
    summaries = [str(s) for s in summariser.predict(documents)["summary"]]
    fallbacks = [rows[0]["text"]] + [brief["top_sentences"][name][0]["text"] for name in to_summarise]
    brief["extractive"] = {}
    for i, (key, document) in enumerate(zip(["summary", *to_summarise], documents, strict=True)):
        problems = soundness_problems(summaries[i], document)
        if problems:
            summaries[i] = fallbacks[i]
            brief["extractive"][key] = problems
    brief["summary"] = summaries[0]
    rewritten = dict(zip(to_summarise, summaries[1:], strict=True))
    brief["category_summaries"] = {name: rewritten.get(name, texts[name][0]) for name in brief["categories"]
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
