"""Articles to clean sentences: strip agency furniture, then split with pysbd (offline, rule-based).

    >>> from accord.text import split_article
    >>> split_article("HÀ NỘI — The U.S. envoy met Dr. Kim. Trade hit US$150 billion; both agreed. — VNS")
    ['The U.S. envoy met Dr. Kim.', 'Trade hit US$150 billion; both agreed.']
"""

from __future__ import annotations

import functools
import os
import re
import unicodedata

import pysbd

from accord.io import read_text

_DATE_PREFIX = re.compile(r"^\s*date\s+\d{4}-\d{2}-\d{2}\b\s*", re.IGNORECASE)
# "HÀ NỘI —", "NEW DELHI (PTI) –", "TOKYO - ": an upper-case place (checked below), an optional agency, a dash.
_DATELINE = re.compile(r"^(?P<place>[^\n—–]{2,60}?)\s*(?:\((?P<agency>[^)\n]{1,20})\)\s*)?(?:[—–]|\s-)\s*")
# "— VNS", "— VNA/VNS", "–VNS", "(VNS)" at the very end of the article.
_SIGNATURE = re.compile(r"\s*(?:[—–-]+\s*[A-Z]{2,6}(?:/[A-Z]{2,6})*|\([A-Z]{2,6}(?:/[A-Z]{2,6})*\))\s*$")
_SPACES = re.compile(r"[^\S\n]+")  # runs of whitespace other than newlines (incl. NBSP, tabs)
_BLOCK_BREAK = re.compile(r"\n\s*\n")
_TERMINAL = ('.', '!', '?', '"', '”', '’', "'", ':', ')')


def _is_place(candidate: str) -> bool:
    words = candidate.replace(",", " ").split()
    has_letters = any(ch.isalpha() for ch in candidate)
    return has_letters and 1 <= len(words) <= 5 and candidate == candidate.upper()


def split_dateline(text: str) -> tuple[str | None, str]:
    """Split a leading dateline (``HÀ NỘI —``) off ``text``; returns ``(place or None, rest)``."""
    m = _DATELINE.match(text)
    if m and _is_place(m.group("place").strip()):
        return m.group("place").strip(), text[m.end():]
    return None, text


def normalise(text: str) -> str:
    """NFC-normalise, turn odd spaces into plain ones, trim every line."""
    text = unicodedata.normalize("NFC", text).replace("\r\n", "\n").replace("\r", "\n")
    return "\n".join(_SPACES.sub(" ", line).strip() for line in text.split("\n")).strip()


def clean_article(text: str) -> str:
    """Strip agency furniture: a leading ``date YYYY-MM-DD`` fragment, the dateline, a trailing signature."""
    text = normalise(text)
    text = _DATE_PREFIX.sub("", text, count=1)
    _, text = split_dateline(text)
    text = _SIGNATURE.sub("", text)
    return text.strip()


@functools.lru_cache(maxsize=1)
def _segmenter() -> pysbd.Segmenter:
    return pysbd.Segmenter(language="en", clean=False)


def _blocks(text: str) -> list[str]:
    """Paragraph blocks: blank lines always separate; a single newline separates only after end punctuation."""
    blocks: list[str] = []
    for chunk in _BLOCK_BREAK.split(text):
        current: list[str] = []
        for line in chunk.split("\n"):
            line = line.strip()
            if not line:
                continue
            current.append(line)
            if line.endswith(_TERMINAL):
                blocks.append(" ".join(current))
                current = []
        if current:
            blocks.append(" ".join(current))
    return blocks


def split_sentences(text: str) -> list[str]:
    """Split already-clean text into sentences (semicolons, abbreviations, money and quotes kept intact)."""
    sentences: list[str] = []
    for block in _blocks(normalise(text)):
        for segment in _segmenter().segment(block):
            segment = segment.strip()
            if any(ch.isalnum() for ch in segment):
                sentences.append(segment)
    return sentences


def split_article(text: str) -> list[str]:
    """Clean a raw article and split it into sentences."""
    return split_sentences(clean_article(text))


def article_sentences(path: str | os.PathLike[str], max_bytes: int | None = None) -> list[str]:
    """Read a ``.txt`` article (UTF-8) and return its clean sentences; bad files raise ``InputError``."""
    return split_article(read_text(path, max_bytes=max_bytes))
