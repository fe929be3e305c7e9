"""Word-run tables of a source for the name and title checks of the decoder's ``WordConstraint``.

- :func:`successors` (``names``): which word follows which, one space apart, so adjacent capitalised words of a
  summary can be held to adjacency in the source.
- :func:`trigrams` and :func:`chain_before` (``titles``): which word ends each two linked words of a title chain,
  so two offices the source gives two people cannot be chained into one it never gives.
Each is built once per batch, when the decoder's checks are set up.
"""

from __future__ import annotations

import re
from itertools import pairwise

from accord.summarise.roles import is_title
from accord.text import NAME_JOINERS

RUN = re.compile(r"\w+")  # one word run: what the checks compare, as written or lower-cased
CHAIN_LOOKBACK = 4  # runs read back from a capitalised word: room for joiners before the two words it continues
CHAIN_JOINERS = (NAME_JOINERS - {"and"}) | {"s"}  # link the words of a title chain ("Minister of Foreign Affairs")


def linked(text: str, a: re.Match[str], b: re.Match[str]) -> bool:
    """Whether word runs ``a`` and ``b`` are one space apart or ``b`` is the "s" of a possessive."""
    gap = text[a.end():b.start()]
    return gap == " " or (gap in ("'", "’") and b.group() in ("s", "S"))


def successors(source: str) -> dict[str, set[str]]:
    """Lower-cased word -> the words that follow it after nothing but one space."""
    following: dict[str, set[str]] = {}
    for a, b in pairwise(RUN.finditer(source)):
        if source[a.end():b.start()] == " ":
            following.setdefault(a.group().lower(), set()).add(b.group().lower())
    return following


def trigrams(source: str) -> dict[tuple[str, str], set[str]]:
    """Lower-cased (word, word) -> the words that follow them, over each three linked word runs of ``source``."""
    table: dict[tuple[str, str], set[str]] = {}
    runs = list(RUN.finditer(source))
    for a, b, c in zip(runs, runs[1:], runs[2:], strict=False):
        if linked(source, a, b) and linked(source, b, c):
            table.setdefault((a.group().lower(), b.group().lower()), set()).add(c.group().lower())
    return table


def chain_before(text: str, m: re.Match[str], start: bool) -> tuple[str, str] | None:
    """The two title-chain words directly before ``m`` (lower-cased), or None when the chain before it has fewer.
    Chain words are capitalised words, office words (``roles.TITLES``) and joiners; joiners that lead the chain do
    not count ("the Foreign Minister" is a pair, checked by ``names``). A run at the cut context's start may be cut."""
    before = list(RUN.finditer(text, 0, m.start()))[-CHAIN_LOOKBACK:]
    chain: list[re.Match[str]] = []
    nxt = m
    for run in reversed(before):
        w = run.group()
        member = w[0].isupper() or w.lower() in CHAIN_JOINERS or is_title(w)
        if not member or not linked(text, run, nxt) or (run.start() == 0 and not start):
            break
        chain.insert(0, run)
        nxt = run
    words = [r.group().lower() for r in chain]
    while words and words[0] in CHAIN_JOINERS:
        words.pop(0)
    return (words[-2], words[-1]) if len(words) >= 2 else None
