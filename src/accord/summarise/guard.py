"""Soundness checks of an abstractive summary: signs it went wrong, so a brief shows the extract instead.

Precise rather than complete: each check is a short reason a reader can act on; an empty list means none was found.
"""

from __future__ import annotations

import re

_TOKEN = re.compile(r"\w+")
_BRACKETED = re.compile(r"\(([^()]*)\)?|\"([^\"]*)\"?|“([^”]*)”?")
_NOT_CONTENT = {"with", "from", "that", "this", "their", "they", "have", "been", "will", "also", "both", "sides",
                "side", "cooperation", "discussing", "countries"}


def soundness_problems(summary: str, source: str) -> list[str]:
    """Signs that an abstractive summary went wrong, each a short reason (empty: none found).

    Two checks, precise rather than complete: bracketed or quoted text that does not occur verbatim in the source
    (the model's way round the copy constraints: "Cường (RoK president)", "Văn \"Hưng\" Hưng"), and a content
    word of four or more letters used four times or more (degenerate repetition: "the Korean and Korean-by-regional
    President of the Korean-regional President, the Korean, and Korean…"). Thresholds set on the reference summaries
    (none of the 80 in-domain references fails either check; three repeats would fail 10 of them).
    """
    problems = []
    for m in _BRACKETED.finditer(summary):
        inner = next(g for g in m.groups() if g is not None).strip()
        closed = m.group()[-1] in ")\"”" and len(m.group()) > 1
        if not closed or not inner or inner not in source:
            problems.append(f"text in brackets or quotes that the source does not have: {m.group()!r}")
    counts: dict[str, int] = {}
    for w in _TOKEN.findall(summary.lower()):
        if len(w) >= 4 and w not in _NOT_CONTENT:
            counts[w] = counts.get(w, 0) + 1
    repeated = sorted(w for w, c in counts.items() if c >= 4)
    if repeated:
        problems.append(f"repeats {', '.join(repeated)} four times or more")
    return problems
