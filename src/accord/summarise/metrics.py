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

from accord.text import COUNTRY_WORDS, split_sentences, unify_spelling
from accord.text import NAME_JOINERS as JOINERS

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


# ---- failures a reader sees: loops, wrong roles, garbage (each hand-checked in tests/summarise/test_metrics.py)

STOP = {"with", "from", "that", "this", "their", "they", "have", "been", "will", "also", "both", "sides", "side",
        "cooperation", "countries", "country", "between", "bilateral", "relations", "ties", "other", "such", "which",
        "during", "meeting", "minister", "president", "prime", "discussed", "discussing", "agreed", "areas",
        "fields", "including", "well", "more", "about", "into", "over"}
TITLES = {"president", "vice", "prime", "minister", "premier", "deputy", "speaker", "chairman", "chairwoman",
          "chair", "secretary", "general", "ambassador", "envoy", "consul", "governor", "mayor", "king", "queen",
          "emir", "amir", "crown", "prince", "princess", "sultan", "chancellor", "foreign", "defence", "trade",
          "finance", "economy", "interior", "labour", "education", "commander", "chief", "state", "councillor",
          "senator", "senate", "parliament", "parliamentary", "assembly", "party", "external", "affairs", "national",
          "legislator", "lawmaker", "director", "adviser", "representative", "ruler", "head", "congress", "council",
          "committee", "front", "league", "union", "people's", "standing", "federal", "federation", "republic",
          "house", "office", "ministry", "cabinet", "government", "higher", "science", "technology", "industry",
          "security", "public", "home", "health", "justice", "agriculture", "tourism", "culture", "sports",
          "employment", "information", "communications", "transport", "energy", "development", "investment",
          "marshal", "sejm", "bundestag", "duma", "khural", "majlis", "administrator", "ceo", "commissioner", "high",
          "intelligence", "artificial", "resources", "human", "heritage", "cultural", "sciences", "earth", "training",
          "research", "international", "relations", "planning", "industries", "digital", "innovation", "aerospace",
          "director-general", "secretary-general", "vice-president", "vice-chairman", "social", "welfare",
          "overseas", "expatriates", "unification", "commerce", "industrial", "environment", "multimedia"}
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


PERSON_JOINERS = {"bin", "binti", "ibn", "al", "el", "de", "da", "di", "dos", "das", "van", "von", "der", "la", "du"}
TITLE_SYNONYMS = {"premier": "prime", "chairwoman": "chairman", "chair": "chairman", "amir": "emir",
                  "defense": "defence", "labor": "labour"}
_NAME_WORD = re.compile(r"[^\W\d_][\w'’-]*")


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


def _title(word: str) -> str | None:
    w = unify_spelling(word.lower().strip("’'"))
    w = TITLE_SYNONYMS.get(w, w)
    return w if w in TITLES else None


def _country(word: str) -> str | None:
    w = re.sub(r"['’]s$", "", word).lower()
    return COUNTRY_WORDS.get(w)


_JOIN = {"of", "the", "for", "and", "'s", "’s"}
_TITLE_ADJECTIVES = {"provincial", "municipal", "central", "former", "outgoing", "new", "newly", "appointed",
                     "acting", "incoming", "visiting", "permanent", "executive", "principal", "first"}
_PLACE_BEFORE = {"in", "at", "to", "from", "into", "near", "visiting", "via"}  # "to Indonesia": a place, not a
# nationality ("US Ambassador to Indonesia Joseph Donovan" is American)


_ABBREVIATION = re.compile(r"\s*\([A-Z][A-Za-z]{1,5}\)")  # "(RoK)", "(US)": dropped, they interrupt a title run


def people(text: str, appositions: bool = True) -> list[tuple[tuple[str, ...], set[str], set[str]]]:
    """``(name words, titles, countries)`` for every person-like name in ``text``: a run of capitalised words that
    are neither titles nor country words, with the titles and demonyms written just before it ("Indian President
    Ram Nath Kovind") or, with ``appositions``, in a title clause just after it ("Woo Won Shik, Speaker of the
    National Assembly"). A run right after "in", "at", "to" or "from" is a place, not a person."""
    text = _ABBREVIATION.sub("", text)
    words = [(m.group(), m.start(), m.end()) for m in _NAME_WORD.finditer(text)]
    out, k = [], 0
    while k < len(words):
        if not _is_name_word(words[k][0]) or (k and words[k - 1][0].lower() in _PLACE_BEFORE):
            k += 1
            continue
        start = k
        while k + 1 < len(words) and text[words[k][2]:words[k + 1][1]] in (" ", "-") and (
                _is_name_word(words[k + 1][0]) or (words[k + 1][0].lower() in PERSON_JOINERS and k + 2 < len(words)
                                                   and _is_name_word(words[k + 2][0]))):
            k += 1
        k += 1
        titles, countries = _before(text, words, start)
        if appositions:
            more = _apposition(text[words[k - 1][2]:words[k - 1][2] + 120])
            titles, countries = titles | more[0], countries | more[1]
        if titles or countries or k - start >= 2:
            out.append((tuple(x[0].lower() for x in words[start:k]), titles, countries))
    return out


def _is_name_word(word: str) -> bool:
    return word[0].isupper() and not _title(word) and not _country(word) and word.lower() not in JOINERS \
        and word.lower() not in PERSON_JOINERS


def _before(text: str, words: list[tuple[str, int, int]], start: int) -> tuple[set[str], set[str]]:
    """Titles and countries in the title phrase just before a name: title, country and joining words, and names
    of bodies that a title word follows ("Chairman of the Bắc Ninh People's Committee Lê Minh Tuấn")."""
    titles: set[str] = set()
    countries: set[str] = set()
    j = start - 1
    while j >= 0:
        gap = text[words[j][2]:words[j + 1][1]]
        w = words[j][0]
        title, country = _title(w), _country(w)
        if re.search(r"[.;:()]", gap) or ("," in gap and not (title and j + 1 == start)):
            break  # one comma is allowed right before the name: "Minister of Foreign Affairs, Retno Marsudi"
        if _is_name_word(w) and j + 1 < start:
            first = j
            while first > 0 and _is_name_word(words[first - 1][0]) and text[words[first - 1][2]:words[first][1]] == " ":
                first -= 1
            after = words[j + 1][0].lower()
            if _title(after) or after in _TITLE_ADJECTIVES:
                j = first - 1  # a body's name inside the title phrase: "Bắc Ninh" in "Bắc Ninh People's Committee"
                continue
            break
        if not (title or country or w.lower() in _JOIN or w.lower() in _TITLE_ADJECTIVES):
            break
        titles |= {title} if title else set()
        if country and not (j and words[j - 1][0].lower() in _PLACE_BEFORE):
            countries.add(country)
        j -= 1
    return titles, countries


def _apposition(after: str) -> tuple[set[str], set[str]]:
    """Titles and countries of a title clause right after a name (", Speaker of the National Assembly"), or a
    country right after it ("Sjafrie Sjamsoeddin of Indonesia")."""
    of = re.match(r"\s+of\s+(?:the\s+)?([^\W\d_][\w'’]*(?: [^\W\d_][\w'’]*)?)", after)
    if of and (_country(of.group(1)) or _country(of.group(1).split()[0])):
        return set(), {_country(of.group(1)) or _country(of.group(1).split()[0])}
    m = re.match(r"\s*,\s*(?:the |his |her |a )?([^,.;()]{3,90})", after)
    if not m:
        return set(), set()
    clause = _NAME_WORD.findall(m.group(1))
    if not clause or not (_title(clause[0]) or _country(clause[0])):
        return set(), set()
    countries = {c for k, w in enumerate(clause) if (c := _country(w)) and not
                 (k and clause[k - 1].lower() in _PLACE_BEFORE)}
    return {t for t in map(_title, clause) if t}, countries


# Offices a summary must not change: heads of state, government and bodies, envoys and local heads; and portfolios,
# wrong only when the source gives the person another portfolio or a head office ("foreign minister" for a prime
# minister). President, chairman and speaker name the head of a parliament or council interchangeably in
# translation, so for someone whose title names such a body they are one office.
BODIES = {"assembly", "parliament", "parliamentary", "senate", "council", "congress", "house", "duma", "khural",
          "majlis", "sejm", "bundestag", "committee", "front", "people's"}
OFFICE_CLASSES = {"president": "president", "chairman": "chairman", "speaker": "speaker", "prime": "prime",
                  "king": "monarch",
                  "queen": "monarch", "emir": "monarch", "sultan": "monarch", "prince": "prince",
                  "ambassador": "envoy", "consul": "envoy", "governor": "local", "mayor": "local",
                  "chancellor": "chancellor"}
PORTFOLIOS = {"foreign", "defence", "trade", "finance", "economy", "interior", "labour", "education", "health",
              "justice", "agriculture", "tourism", "culture", "employment", "information", "energy", "transport"}


def _same_person(name: tuple[str, ...], other: tuple[str, ...]) -> bool:
    """Whether a summary's name refers to a source name: its words (hyphens split) are among the other's, the
    last one included."""
    a = [w for part in name for w in re.split(r"[-‐]", part) if w]
    b = {w for part in other for w in re.split(r"[-‐]", part) if w}
    return bool(a) and set(a) <= b and a[-1] in b


def _office_conflicts(titles: set[str], known: set[str]) -> set[str]:
    """Office words of a summary that the source's offices for the same person rule out."""
    if not known:
        return set()

    def office(t: str) -> str:
        return "head of a body" if known & BODIES and t in ("president", "chairman", "speaker") else OFFICE_CLASSES[t]

    classes = {office(t) for t in known if t in OFFICE_CLASSES}
    wrong = {t for t in titles if t in OFFICE_CLASSES and office(t) not in classes}
    other_posts = (known & PORTFOLIOS) | ({"prime"} & known) | ({"president"} & known)
    return wrong | {t for t in titles & PORTFOLIOS if t not in known and other_posts}


def role_errors(summary: str, source: str) -> list[str]:
    """Names in the summary given an office or a country that the source does not give them: an office word the
    source never attaches to that person (where it attaches any), or a country that the source attaches to them
    differently. Built only from the source's own "Title Name" and "Name, title" patterns: a person the source
    gives no office or country cannot be checked, so those pass."""
    return roles_against(summary, people(source))


def roles_against(summary: str, src: list[tuple[tuple[str, ...], set[str], set[str]]]) -> list[str]:
    """:func:`role_errors` against the source's ``people`` computed once (decoding checks many prefixes)."""
    errors = []
    for name, titles, countries in people(summary, appositions=False):
        match = [(t, c) for n, t, c in src if _same_person(name, n)]
        if not match:
            continue
        known_titles = set().union(*(t for t, _ in match))
        known_countries = set().union(*(c for _, c in match))
        shown = " ".join(name).title()
        errors += [f"{shown}: the source never calls them {t!r}" for t in sorted(_office_conflicts(titles,
                                                                                                   known_titles))]
        if known_countries:
            errors += [f"{shown}: given {c!r}, the source gives {sorted(known_countries)}"
                       for c in sorted(countries - known_countries)]
    return errors


def _name_tokens(name: tuple[str, ...]) -> list[str]:
    return [w for part in name for w in re.split(r"[-‐'’]", part) if len(w) > 1]


def _in_order(tokens: list[str], other: list[str]) -> bool:
    """Whether ``tokens`` appear in ``other`` in the same order, each once (gaps allowed: a dropped middle name)."""
    it = iter(other)
    return all(any(t == o for o in it) for t in tokens)


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
    source_names = [_name_tokens(n) for n, _, _ in people(source)]
    for name, titles, countries in people(summary, appositions=False):
        tokens = _name_tokens(name)
        if not (titles or countries):
            continue  # only names written as people ("President X"): a run like "OIC Ministerial" is not one
        related = [n for n in source_names if set(tokens) & set(n)]
        if len(tokens) >= 2 and related and not any(_in_order(tokens, n) for n in related):
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
