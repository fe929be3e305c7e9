"""The tokenizer's word pieces, indexed once per tokenizer file: what the sliced decoder may emit besides the
source's own tokens (:func:`source_variants`) and the lower-case words a summary may use (:func:`lexicon`).

The index is a pass over the whole vocabulary (1.4 s for Gemma's 262,144 tokens), so it is kept per tokenizer
object in memory and on disk beside the tokenizer cache, keyed by the tokenizer file's digest.
"""

from __future__ import annotations

import contextlib
import json
import re
import weakref
from pathlib import Path
from typing import Any

from accord.io import write_text_atomic
from accord.summarise.tokenizer import cache_root, file_digest

# tokenizer -> {"pieces": ..., "more": ..., "lexicon": ...}; weak, so a freed tokenizer's index goes with it and a new
# tokenizer that reuses its id() never gets it
_PIECE_CACHE: weakref.WeakKeyDictionary[Any, dict[str, Any]] = weakref.WeakKeyDictionary()
INDEX_FORMAT = "v2"  # in the cached index's file name: bumped when its layout changes
_SPACE_MARKS = ("▁", "Ġ")  # how SentencePiece and byte-level BPE write a leading space in a token


def _build_index(tokenizer: Any) -> dict[str, Any]:
    pieces: dict[str, int] = {}  # one id per text, read fast (a list per text took 0.15 s more)
    more: dict[str, list[int]] = {}  # the other ids of a text (" Foo" as "▁Foo" and as " Foo" in one vocabulary)
    for i, token in enumerate(tokenizer.convert_ids_to_tokens(list(range(len(tokenizer))))):
        if not isinstance(token, str):
            continue
        text = " " + token[1:] if token[:1] in _SPACE_MARKS else token
        if text.strip().isalnum():
            if text in pieces:
                more.setdefault(text, []).append(i)
            else:
                pieces[text] = i
    lexicon = sorted({t[1:] for t in pieces if t[:1] == " " and t[1:].isalpha() and t[1:].islower()})
    return {"pieces": pieces, "more": more, "lexicon": lexicon}


def _index(tokenizer: Any) -> dict[str, Any]:
    """The tokenizer's word pieces and lexicon: built once per tokenizer file (a pass over the whole vocabulary,
    1.4 s for Gemma's 262,144 tokens, most of a one-document ``accord summarise``), then read from the cache."""
    with contextlib.suppress(TypeError):  # a tokenizer that cannot be weakly referenced is indexed each time
        if tokenizer in _PIECE_CACHE:
            return _PIECE_CACHE[tokenizer]
    index = _read_or_build_index(tokenizer)
    with contextlib.suppress(TypeError):
        _PIECE_CACHE[tokenizer] = index
    return index


def _read_or_build_index(tokenizer: Any) -> dict[str, Any]:
    """The index from the cache folder (keyed by the tokenizer file's digest and size), else built and stored."""
    source = getattr(tokenizer, "source", None)  # the tokenizer.json it was read from (FastTokenizer)
    cached = None
    if source is not None and Path(source).is_file():
        digest = getattr(tokenizer, "digest", None) or file_digest(Path(source))
        cached = cache_root() / f"{digest}-{len(tokenizer)}-{INDEX_FORMAT}.json"
        with contextlib.suppress(OSError, ValueError):
            return dict(json.loads(cached.read_text(encoding="utf-8")))
    index = _build_index(tokenizer)
    if cached is not None:
        with contextlib.suppress(OSError):  # a read-only cache only costs the rebuild next time
            cached.parent.mkdir(parents=True, exist_ok=True)
            write_text_atomic(cached, json.dumps(index, ensure_ascii=False))
    return index


def lexicon(tokenizer: Any) -> list[str]:
    """The lower-case words the tokenizer has as one whole-word token (" trade", " bilateral"), sorted: what a
    lower-case summary word not in its source must be (``generation.copy_lexicon``)."""
    return _index(tokenizer)["lexicon"]


def source_variants(tokenizer: Any, sources: list[str]) -> set[int]:
    """Tokens that may write a source word differently from the source's own tokenisation: the words on their own
    (with and without a leading space, as written, lower-cased, capitalised) and every token that is a piece of a
    capitalised word or number (so a name can be written in other pieces, as the word check allows)."""
    words = sorted({w for src in sources for w in re.findall(r"\w+(?:['’-]\w+)*", src)})
    variants = []
    for w in words:
        variants += [w, " " + w, w.lower(), " " + w.lower(), w[:1].upper() + w[1:], " " + w[:1].upper() + w[1:]]
    ids = {i for ids in tokenizer(variants, add_special_tokens=False)["input_ids"] for i in ids} if variants else set()
    index = _index(tokenizer)
    pieces, more = index["pieces"], index["more"]
    for word in {w for src in sources for w in re.findall(r"\w+", src) if w[0].isupper() or w[0].isdigit()}:
        for a in range(len(word)):
            for b in range(a + 1, min(len(word), a + 12) + 1):
                for text in (word[a:b], " " + word[:b]) if a == 0 else (word[a:b],):
                    if (i := pieces.get(text)) is not None:
                        ids.add(i)
                        ids.update(more.get(text, ()))
    return ids
