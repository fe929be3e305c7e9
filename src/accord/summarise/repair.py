"""Titles repaired from the source: a person the role check flags gets the title phrase the source writes for them.

The greedy decoder cannot take a word back, so "Portuguese President Ram Nath Kovind" stays wrong once written. Where
:func:`accord.summarise.roles.role_errors` flags a person and the summary writes a title phrase right before the name,
:func:`repair_titles` puts the source's own phrase for that person there (its first mention that has one). Nothing
else in the summary changes. Measured on real validation and not adopted (docs/decisions.md, stop 53: the flags fell
by a quarter, the rule asked a third), so no decoding setting reaches it; ``evaluation/check_repair.py`` uses it.
"""

from __future__ import annotations

import re

from accord.summarise import roles

_STOP = re.compile(r"[.;:(),\"“”]")  # punctuation that ends a title phrase
_LEAD = {"the", "and", "of", "for"}  # not kept at the start of a phrase


def mentions(text: str) -> list[tuple[tuple[str, ...], int, int]]:
    """``(name words, phrase start, name start)`` of every run of name words in ``text``: where the title phrase
    right before it (title, country and joining words, no punctuation between) begins, and where the name begins
    (the two are equal when there is no phrase). Offsets are into ``text`` as given."""
    words = [(m.group(), m.start(), m.end()) for m in roles.NAME_WORD.finditer(text)]
    out, k = [], 0
    while k < len(words):
        if not roles.is_name_word(words[k][0]):
            k += 1
            continue
        start = k
        while k + 1 < len(words) and roles.joined(text, words, k) and roles.continues_name(words, k + 1):
            k += 1
        k += 1
        first = start
        while first > 0 and not _STOP.search(text[words[first - 1][2]:words[first][1]]) and _in_phrase(
                words[first - 1][0]):
            first -= 1
        while first < start and words[first][0].lower() in _LEAD:
            first += 1
        name = tuple(roles.POSSESSIVE.sub("", w.lower()) for w, _, _ in words[start:k])
        out.append((name, words[first][1] if first < start else words[start][1], words[start][1]))
    return out


def _in_phrase(word: str) -> bool:
    lower = word.lower()
    return (roles.is_title(word) or bool(roles.country_of(word)) or lower in roles.JOIN_WORDS
            or lower in roles.TITLE_ADJECTIVES)


def _has_title(phrase: str) -> bool:
    return any(roles.is_title(w) for w in roles.NAME_WORD.findall(phrase))


def _flagged(summary: str, source: str) -> set[str]:
    """The names (lower case, words joined by spaces) the role check flags in ``summary``."""
    return {e.split(":", 1)[0].lower() for e in roles.role_errors(summary, source)}


def repair_titles(summary: str, source: str) -> str:
    """``summary`` with the title phrase of each person the role check flags replaced by the source's phrase for
    the same person; unchanged where the check flags nobody, or where either side writes no phrase."""
    flagged = _flagged(summary, source)
    if not flagged:
        return summary
    theirs = [(name, source[a:b]) for name, a, b in mentions(source) if a < b and _has_title(source[a:b])]
    edits = []
    for name, a, b in mentions(summary):
        if " ".join(name) not in flagged or a == b:
            continue
        phrase = next((p for n, p in theirs if roles.same_person(name, n)), None)
        if phrase is not None:
            edits.append((a, b, phrase[0].upper() + phrase[1:] if a == 0 else phrase))
            flagged.discard(" ".join(name))  # a name's first mention only
    for a, b, phrase in sorted(edits, reverse=True):
        summary = summary[:a] + phrase + summary[b:]
    return summary
