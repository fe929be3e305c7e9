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

import bisect
import re
from functools import lru_cache
from itertools import pairwise
from typing import Any

import numpy as np

from accord.summarise.roles import in_order, name_tokens, people, role_errors
from accord.text import NAME_JOINERS as JOINERS
from accord.text import split_sentences, unify_spelling

ROUGE_TYPES = ("rouge1", "rouge2", "rougeL", "rougeLsum")
_NUMBER = re.compile(r"(?<![\w.])\d+(?:[.,]\d+)*")
_WORD = re.compile(r"[^\W\d_][\w'’\-]*")
_TOKEN = re.compile(r"\w+")
_COMMON_FIRST = {"the", "a", "an", "in", "on", "at", "two", "both", "this", "that", "he", "she", "they", "it",
                 "during", "after", "as", "with", "for", "by", "from", "while", "when", "prime", "president"}


@lru_cache(maxsize=4)
def rouge_scorer(types: tuple[str, ...]) -> Any:
    """The project's ROUGE scorer (stemmed) for ``types``, built once per set of types."""
    from rouge_score import rouge_scorer as scorers

    return scorers.RougeScorer(list(types), use_stemmer=True)


def _lsum_text(text: str) -> str:
    return "\n".join(split_sentences(text)) if text.strip() else ""


def rouge(predictions: list[str], references: list[str]) -> dict[str, np.ndarray]:
    """Per-item ROUGE F1 (x100) for each type; ``rougeLsum`` uses newline-split sentences."""
    if len(predictions) != len(references):
        raise ValueError(f"{len(predictions)} predictions for {len(references)} references")
    out = {t: np.zeros(len(predictions)) for t in ROUGE_TYPES}
    plain = tuple(t for t in ROUGE_TYPES if t != "rougeLsum")  # rougeLsum is scored on split sentences only
    for i, (pred, ref) in enumerate(zip(predictions, references, strict=True)):
        scores = rouge_scorer(plain).score(ref, pred)
        lsum = rouge_scorer(("rougeLsum",)).score(_lsum_text(ref), _lsum_text(pred))["rougeLsum"]
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


def paired_wins(new: np.ndarray, old: np.ndarray, n: int = 1000, seed: int = 0) -> float:
    """Share of ``n`` bootstrap resamples of the rows (one per article, the same rows for both) in which ``new``'s
    mean beats ``old``'s: how sure a gain is, where two means alone cannot tell a gain from noise."""
    means = _paired_means(np.asarray(new, dtype=float) - np.asarray(old, dtype=float), n, seed)
    return float((means > 0).mean()) if means.size else 0.0


def paired_difference(new: np.ndarray, old: np.ndarray, n: int = 1000, seed: int = 0, alpha: float = 0.05
                      ) -> dict[str, float]:
    """The mean of ``new - old`` over the same rows with its percentile bootstrap interval (rows resampled
    together, as :func:`paired_wins` does), and the share of resamples ``new`` wins. Two systems scored on the same
    articles share each article's difficulty, so this interval is the one that says whether one beats the other;
    their two separate intervals can overlap while the paired one excludes 0."""
    diff = np.asarray(new, dtype=float) - np.asarray(old, dtype=float)
    means = _paired_means(diff, n, seed)
    if not means.size:
        return {"diff": float("nan"), "low": float("nan"), "high": float("nan"), "wins": 0.0}
    return {"diff": float(diff.mean()), "low": float(np.quantile(means, alpha / 2)),
            "high": float(np.quantile(means, 1 - alpha / 2)), "wins": float((means > 0).mean())}


def _paired_means(diff: np.ndarray, n: int, seed: int) -> np.ndarray:
    """Means of the per-row differences ``diff`` over ``n`` resamples of the rows (the same draws for every caller
    with ``seed``)."""
    if diff.size == 0:
        return diff
    rng = np.random.default_rng(seed)
    return diff[rng.integers(0, diff.size, size=(n, diff.size))].mean(axis=1)


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


# ---- failures a reader sees: loops, wrong roles, garbage (each hand-checked in tests/summarise/test_metrics.py)

STOP = {"with", "from", "that", "this", "their", "they", "have", "been", "will", "also", "both", "sides", "side",
        "cooperation", "countries", "country", "between", "bilateral", "relations", "ties", "other", "such", "which",
        "during", "meeting", "minister", "president", "prime", "discussed", "discussing", "agreed", "areas",
        "fields", "including", "well", "more", "about", "into", "over"}
# Cooperation topics a summary may name only where its source does: a topic the article never mentions is a wrong
# fact ("tourism" in 4 of 30 audited real-test summaries whose article never mentions it; docs/summariser.md)
TOPICS = frozenset({
    "trade", "investment", "investors", "economy", "tourism", "tourist", "education", "educational", "culture",
    "cultural", "defence", "military", "security", "technology", "technological", "science", "scientific",
    "innovation", "digital", "energy", "agriculture", "agricultural", "health", "healthcare", "labour", "visa",
    "infrastructure", "transport", "logistics", "finance", "financial", "banking", "climate", "environment",
    "environmental", "fisheries", "maritime", "aviation", "space", "semiconductor", "mining", "nuclear", "water",
    "youth", "sports", "migration", "research", "railway", "shipping", "telecommunications", "pharmaceutical",
    "connectivity", "manufacturing", "textiles"})


# Words that claim an event or a place a summary may use only where its source uses a word of the same family: the
# validation audit found "signing a deal" for talks where nothing was signed and "the borderline of the Joint
# Declaration" (the source: "border localities")
CLAIM_FAMILIES = (frozenset({"sign", "signs", "signed", "signing", "signature"}), frozenset({"deal", "deals"}),
                  frozenset({"border", "borders"}), frozenset({"borderline", "borderlines"}))
_CLAIM_FAMILY = {w: family for family in CLAIM_FAMILIES for w in family}


def unsupported_claim(word: str, source_words: set[str] | frozenset[str]) -> bool:
    """Whether ``word`` (lower-case, whole) is a claim word no word of whose family ``source_words`` (lower-cased)
    contain."""
    family = _CLAIM_FAMILY.get(word)
    return family is not None and not family & source_words


def invented_claims(summary: str, source: str) -> list[str]:
    """Claim words (:data:`CLAIM_FAMILIES`) of the summary whose family its source never uses."""
    words = {w.lower() for w in _TOKEN.findall(source)}
    return sorted({w for w in map(str.lower, _TOKEN.findall(summary)) if unsupported_claim(w, words)})


@lru_cache(maxsize=65536)  # the decoder asks for the same few words at every step
def topic_stem(word: str) -> str:
    """The part of a topic word its other forms share ("invest" for investment/investors, "touri" for tourism)."""
    w = unify_spelling(word.lower())
    return w[:min(6, max(4, len(w) - 3))]


def unsupported_topics(source: str) -> frozenset[str]:
    """The topics ``source`` never mentions in any form (no source word starts with the topic's stem)."""
    words = sorted({unify_spelling(w.lower()) for w in _TOKEN.findall(source)})
    out = set()
    for topic in TOPICS:
        stem = topic_stem(topic)
        i = bisect.bisect_left(words, stem)
        if not (i < len(words) and words[i].startswith(stem)):
            out.add(topic)
    return frozenset(out)


def invents_topic(word: str, unsupported: frozenset[str]) -> str | None:
    """The unsupported topic that ``word`` (whole, or still being written) names, if any."""
    if len(word) < 4 or not unsupported:  # every stem has four letters or more
        return None
    w = _unified(word.lower())
    for topic in unsupported:
        if w.startswith(topic_stem(topic)) and (topic.startswith(w) or w.startswith(topic)):
            return topic
    return None


@lru_cache(maxsize=65536)
def _unified(word: str) -> str:
    return unify_spelling(word)


def invented_topics(summary: str, source: str) -> list[str]:
    """Cooperation topics the summary names and its source never mentions (a wrong fact a reader sees)."""
    unsupported = unsupported_topics(source)
    found = (invents_topic(w, unsupported) for w in _TOKEN.findall(summary))
    return sorted({t for t in found if t})


def _content_words(text: str) -> list[str]:
    return [w for w in _TOKEN.findall(text.lower()) if len(w) >= 4 and w not in STOP and not w.isdigit()]


def loop_problems(summary: str) -> list[str]:
    """Repetition a reader calls a loop: a lower-case content word three times or more, or a list whose items
    keep recycling a word ("trade, trade and tourism, tourism trade, trade in Sri Lanka")."""
    lower = [w for w in re.findall(r"[^\W\d_][\w-]*", summary) if w.islower()]
    counts: dict[str, int] = {}
    for w in _content_words(" ".join(lower)):
        counts[w] = counts.get(w, 0) + 1
    problems = [f"{w!r} {n} times" for w, n in sorted(counts.items()) if n >= 3]
    for clause in re.split(r"[.;:]", summary):
        items = [i.strip() for i in re.split(r",|\band\b", clause) if i.strip()]
        seen: dict[str, int] = {}
        for item in items:  # only lower-case words: "Defence Minister X" is an office, not a listed topic
            for w in set(_content_words(" ".join(x for x in item.split() if x.islower()))):
                seen[w] = seen.get(w, 0) + 1
        items = [i.lower() for i in items]
        problems += [f"list repeats {w!r} in {n} items" for w, n in sorted(seen.items()) if n >= 3 and counts[w] < 3]
        if len(items) >= 3 and len(set(items)) < len(items):
            problems.append("a list item appears twice")
    return problems


def _glued(word: str, words: set[str], found: int = 0) -> bool:
    """Whether ``word`` starts with at least two source words (3+ letters each) written without a space
    ("defencecooperation", "tradeandtradebilat"): a joined pair the source never writes."""
    if found >= 2:
        return True
    return any(word[:k] in words and _glued(word[k:], words, found + 1) for k in range(3, len(word) + 1))


def garbled_fragments(summary: str, source: str) -> list[str]:
    """Bits that are not words of the source or of English: broken hyphenation ("Han Duck -soo"), a dangling
    article or preposition at the end, words glued to apostrophes or digits that the source does not have
    ("Vietnam’tam", "000-manal"), two source words joined ("defencecooperation"), and a name whose words the
    source writes, but never in that order or in one name ("Yoon Suk-Yoon" for Yoon Suk Yeol, "Tô Trần Lâm" from
    Tô Lâm and Trần Thanh Mẫn)."""
    problems = [f"broken hyphenation {m.group()!r}" for m in re.finditer(r"\w+ -\w+|\w+- \w+", summary)]
    if re.search(r"\b(the|a|an|of|and|to|in|with)\W*$", summary.strip(), re.IGNORECASE):
        problems.append("ends on a dangling word")
    if re.search(r"\w['’]s?\W*$", summary.strip()):
        problems.append("ends on a possessive with nothing after it")  # a dead end: "Tanzania's."
    words = set(_TOKEN.findall(source.lower()))
    problems += [f"glued words: {w!r}" for w in re.findall(r"\b[a-z]{6,}\b", summary)
                 if w not in words and _glued(w, words)]
    for token in re.findall(r"\S+", summary):
        core = token.strip(".,;:()\"“”")
        glued = re.fullmatch(r"[\w-]*(\d[\w-]*[^\W\d_]|[^\W\d_][\w-]*\d)[\w-]*|\w+['’]\w{2,}", core)
        if glued and core.lower() not in source.lower() and "’s" not in core and "'s" not in core:
            problems.append(f"not a source word: {core!r}")
    source_names = [name_tokens(n) for n, _, _ in people(source)]
    for name, titles, countries in people(summary, appositions=False):
        tokens = name_tokens(name)
        if not (titles or countries):
            continue  # only names written as people ("President X"): a run like "OIC Ministerial" is not one
        related = [n for n in source_names if set(tokens) & set(n)]
        if len(tokens) >= 2 and related and not any(in_order(tokens, n) for n in related):
            problems.append(f"a name the source does not write: {' '.join(tokens)!r}")
    return problems


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
    return out | failure_rates(predictions, sources, seed)


def failure_rates(predictions: list[str], sources: list[str], seed: int = 0) -> dict[str, float]:
    """Shares of summaries with a loop, a role error, a garbled fragment, a topic or a claim word the source never
    uses, and with neither of the first two (``clean``), each with a 95% bootstrap interval."""
    flags = {
        "loop": [bool(loop_problems(p)) for p in predictions],
        "role_error": [bool(role_errors(p, s)) for p, s in zip(predictions, sources, strict=True)],
        "garbled": [bool(garbled_fragments(p, s)) for p, s in zip(predictions, sources, strict=True)],
        "invented_topic": [bool(invented_topics(p, s)) for p, s in zip(predictions, sources, strict=True)],
        "invented_claim": [bool(invented_claims(p, s)) for p, s in zip(predictions, sources, strict=True)],
    }
    flags["clean"] = [not (a or b) for a, b in zip(flags["loop"], flags["role_error"], strict=True)]
    out: dict[str, float] = {}
    for name, values in flags.items():
        mean, low, high = bootstrap_ci(np.asarray(values, dtype=float), seed=seed)
        out |= {f"{name}_rate": mean, f"{name}_rate_ci_low": low, f"{name}_rate_ci_high": high}
    return out
