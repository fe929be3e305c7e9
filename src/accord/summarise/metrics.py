"""Summary quality: ROUGE (``rouge-score``, stemmed) with bootstrap CIs, faithfulness, novelty, repetition, length.

Faithfulness (a simple, documented check): the share of a summary's *checkable items* that occur in its source.
Checkable items are numbers (``2030``, ``US$150 billion`` -> ``150``, ``5.5``) and the words of named-entity-like
spans: maximal runs of capitalised words (``Phạm Minh Chính``, ``Republic of Korea``), excluding a summary's first
word when it is a common word. A word counts as found when it occurs as a whole word in the lower-cased source; a
number when it occurs among the source's numbers. Summaries with nothing checkable score ``None`` and are left out
of the mean (their count is reported). Limits: it checks words, not facts; a demonym the source never uses
("Singaporean" for "Singapore") counts as unfaithful.
"""

from __future__ import annotations

import re
from functools import lru_cache
from itertools import pairwise
from typing import Any

import numpy as np

from accord.text import NAME_JOINERS as JOINERS
from accord.text import split_sentences

ROUGE_TYPES = ("rouge1", "rouge2", "rougeL", "rougeLsum")
_NUMBER = re.compile(r"(?<![\w.])\d+(?:[.,]\d+)*")
_WORD = re.compile(r"[^\W\d_][\w'’\-]*")
_TOKEN = re.compile(r"\w+")
_COMMON_FIRST = {"the", "a", "an", "in", "on", "at", "two", "both", "this", "that", "he", "she", "they", "it",
                 "during", "after", "as", "with", "for", "by", "from", "while", "when", "prime", "president"}


@lru_cache(maxsize=1)
def _scorer() -> Any:
    from rouge_score import rouge_scorer

    return rouge_scorer.RougeScorer(list(ROUGE_TYPES), use_stemmer=True)


def _lsum_text(text: str) -> str:
    return "\n".join(split_sentences(text)) if text.strip() else ""


def rouge(predictions: list[str], references: list[str]) -> dict[str, np.ndarray]:
    """Per-item ROUGE F1 (x100) for each type; ``rougeLsum`` uses newline-split sentences."""
    if len(predictions) != len(references):
        raise ValueError(f"{len(predictions)} predictions for {len(references)} references")
    out = {t: np.zeros(len(predictions)) for t in ROUGE_TYPES}
    for i, (pred, ref) in enumerate(zip(predictions, references, strict=True)):
        scores = _scorer().score(ref, pred)
        lsum = _scorer().score(_lsum_text(ref), _lsum_text(pred))["rougeLsum"]
        for t in ROUGE_TYPES:
            out[t][i] = 100 * (lsum.fmeasure if t == "rougeLsum" else scores[t].fmeasure)
    return out


def bootstrap_ci(values: np.ndarray, n: int = 1000, seed: int = 0, alpha: float = 0.05) -> tuple[float, float,
                                                                                                 float]:
    """``(mean, low, high)``: the mean and its percentile bootstrap (1 - alpha) interval."""
    values = np.asarray(values, dtype=float)
    if len(values) == 0:
        return float("nan"), float("nan"), float("nan")
    rng = np.random.default_rng(seed)
    means = values[rng.integers(0, len(values), size=(n, len(values)))].mean(axis=1)
    return float(values.mean()), float(np.quantile(means, alpha / 2)), float(np.quantile(means, 1 - alpha / 2))


def _numbers(text: str) -> set[str]:
    return {m.replace(",", "") for m in _NUMBER.findall(text)}


def entity_spans(text: str) -> list[str]:
    """Maximal runs of capitalised words (joiners like ``of the`` allowed inside), minus a common first word."""
    words = [m.group() for m in _WORD.finditer(text)]
    spans, current, k = [], [], 0
    while k < len(words):
        w = words[k]
        if w[0].isupper() and not (k == 0 and w.lower() in _COMMON_FIRST):
            current.append(w)
        elif current and w.lower() in JOINERS:
            end = k
            while end < len(words) and words[end].lower() in JOINERS:
                end += 1
            if end < len(words) and words[end][0].isupper():
                current += words[k:end]
                k = end
                continue
            spans.append(" ".join(current))
            current = []
        elif current:
            spans.append(" ".join(current))
            current = []
        k += 1
    if current:
        spans.append(" ".join(current))
    return spans


def faithfulness(summary: str, source: str) -> float | None:
    """Share of the summary's numbers and named-entity words found in the source; ``None`` if it has neither.

    Entity words are the capitalised words of :func:`entity_spans` (joiners like ``of`` left out); each must occur
    as a whole word in the source (case-insensitive). So a misspelt or invented name (``Minster``, ``Prabwowo``,
    ``Seoul`` for a meeting in Hà Nội) counts against the summary, a reordered title does not.
    """
    items_found = []
    source_numbers = _numbers(source)
    source_words = set(_TOKEN.findall(source.lower()))
    for number in _numbers(summary):
        items_found.append(number in source_numbers)
    for span in entity_spans(summary):
        for word in _TOKEN.findall(span.lower()):
            if word not in JOINERS and not word.isdigit():
                items_found.append(word in source_words)
    return sum(items_found) / len(items_found) if items_found else None


def name_pair_faithfulness(summary: str, source: str) -> float | None:
    """Stricter diagnostic: the share of adjacent word pairs inside the summary's entity spans (joiners left out)
    that are adjacent in the source too; ``None`` if there are none.

    It catches names built from real source words in a new order or mixed across people (``Võ Thanh Thanh
    Bình``, ``Vũ Văn Hà``) that :func:`faithfulness` lets through, and also penalises reordered titles
    (``French Economy Minister`` for ``Minister of the Economy``), so even faithful references score below 1.
    """
    d = _TOKEN.findall(source.lower())
    source_pairs = set(pairwise(d))
    found = []
    for span in entity_spans(summary):
        words = _TOKEN.findall(span.lower())
        for first, second in pairwise(words):
            if first not in JOINERS and second not in JOINERS:
                found.append((first, second) in source_pairs)
    return sum(found) / len(found) if found else None


def novel_ngram_ratio(summary: str, source: str, n: int = 2) -> float:
    """Share of the summary's word n-grams that do not occur in the source."""
    s, d = _TOKEN.findall(summary.lower()), _TOKEN.findall(source.lower())
    grams = [tuple(s[i:i + n]) for i in range(len(s) - n + 1)]
    if not grams:
        return 0.0
    source_grams = {tuple(d[i:i + n]) for i in range(len(d) - n + 1)}
    return sum(g not in source_grams for g in grams) / len(grams)


def repeated_trigram_rate(summary: str) -> float:
    """Share of the summary's word trigrams that repeat an earlier trigram of the same summary."""
    s = _TOKEN.findall(summary.lower())
    grams = [tuple(s[i:i + 3]) for i in range(len(s) - 2)]
    return (len(grams) - len(set(grams))) / len(grams) if grams else 0.0


def summary_report(predictions: list[str], references: list[str], sources: list[str],
                   seed: int = 0) -> dict[str, float]:
    """Means with 95% bootstrap CIs for ROUGE; means for length, novelty, repetition and faithfulness."""
    scores = rouge(predictions, references)
    out: dict[str, float] = {"n": float(len(predictions))}
    for t, values in scores.items():
        mean, low, high = bootstrap_ci(values, seed=seed)
        out |= {t: mean, f"{t}_ci_low": low, f"{t}_ci_high": high}
    faith = [faithfulness(p, s) for p, s in zip(predictions, sources, strict=True)]
    checkable = [f for f in faith if f is not None]
    out["faithfulness"] = float(np.mean(checkable)) if checkable else float("nan")
    out["faithfulness_checked"] = float(len(checkable))
    pairs = [name_pair_faithfulness(p, s) for p, s in zip(predictions, sources, strict=True)]
    pairs = [f for f in pairs if f is not None]
    out["name_pair_faithfulness"] = float(np.mean(pairs)) if pairs else float("nan")
    out["length_words"] = float(np.mean([len(p.split()) for p in predictions])) if predictions else 0.0
    out["novel_bigram_ratio"] = float(np.mean([novel_ngram_ratio(p, s) for p, s in zip(predictions, sources,
                                                                                        strict=True)]))
    out["repeated_trigram_rate"] = float(np.mean([repeated_trigram_rate(p) for p in predictions]))
    return out
