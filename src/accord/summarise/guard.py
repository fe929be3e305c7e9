"""Soundness checks of an abstractive summary: signs it went wrong, so a brief shows the extract instead.

Precise rather than complete: each check is a short reason a reader can act on; an empty list means none was found.
The checks are the failure metrics of :mod:`accord.summarise.metrics` (loops, wrong roles, garbled fragments,
invented topics and claim words) plus bracketed or quoted text the source does not have.
"""

from __future__ import annotations

import re
from typing import Any

from accord.summarise.metrics import garbled_fragments, invented_claims, invented_topics, loop_problems
from accord.summarise.roles import role_errors

_TOKEN = re.compile(r"\w+")
_NOT_CONTENT = {"with", "from", "that", "this", "their", "they", "have", "been", "will", "also", "both", "sides",
                "side", "cooperation", "discussing", "countries"}
_BRACKETED = re.compile(r"\(([^()]*)\)?|\"([^\"]*)\"?|“([^”]*)”?")


def bracket_problems(summary: str, source: str) -> list[str]:
    """Bracketed or quoted text that does not occur verbatim in the source (the model's way round the copy
    constraints: "Cường (RoK president)", "Văn \"Hưng\" Hưng")."""
    problems = []
    for m in _BRACKETED.finditer(summary):
        inner = next(g for g in m.groups() if g is not None).strip()
        closed = m.group()[-1] in ")\"”" and len(m.group()) > 1
        if not closed or not inner or inner not in source:
            problems.append(f"text in brackets or quotes that the source does not have: {m.group()!r}")
    return problems


def repetition_problems(summary: str) -> list[str]:
    """A word of four or more letters, capitalised or not, four times or more: degenerate output ("the Korean and
    Korean-by-regional President of the Korean-regional President, the Korean, and Korean…"); none of the
    reference summaries does it."""
    counts: dict[str, int] = {}
    for w in _TOKEN.findall(summary.lower()):
        if len(w) >= 4 and w not in _NOT_CONTENT:
            counts[w] = counts.get(w, 0) + 1
    repeated = sorted(w for w, c in counts.items() if c >= 4)
    return [f"repeats {', '.join(repeated)} four times or more"] if repeated else []


def soundness_problems(summary: str, source: str) -> list[str]:
    """Signs that an abstractive summary went wrong, each a short reason (empty: none found): brackets or quotes
    the source does not have, a loop, a person given an office or country the source does not give them, garbled
    fragments (broken hyphenation, glued words, names the source never writes), a cooperation topic the source
    never mentions and a claim word (signing, a deal, a border) it never uses."""
    return [*bracket_problems(summary, source), *repetition_problems(summary),
            *(f"loop: {p}" for p in loop_problems(summary)),
            *(f"role: {p}" for p in role_errors(summary, source)),
            *(f"garbled: {p}" for p in garbled_fragments(summary, source)),
            *(f"a topic the source never mentions: {t}" for t in invented_topics(summary, source)),
            *(f"a claim the source never makes: {w}" for w in invented_claims(summary, source))]


def brief_problems(summariser: Any, documents: list[str], summaries: list[str]) -> list[list[str]]:
    """Why a brief would not show each summary: the summariser's own ``doubts`` (the checks, then its draws:
    :func:`accord.summarise.rerank.doubts`) where it has them, else the soundness checks alone."""
    check = getattr(summariser, "doubts", None)
    found = check(documents, summaries) if callable(check) else None
    return found or [soundness_problems(s, d) for s, d in zip(summaries, documents, strict=True)]
