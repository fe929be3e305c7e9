"""The tokenizer's word-piece index: built once per tokenizer file, then read from the cache; held per tokenizer
object, never handed to another."""

from __future__ import annotations

import json
from pathlib import Path

import pytest


def test_the_word_piece_index_is_cached_per_tokenizer_file(tiny_gemma_tokenizer: Path, tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    from accord.summarise import pieces
    from accord.summarise.tokenizer import CACHE_ENV, load

    monkeypatch.setenv(CACHE_ENV, str(tmp_path))
    first = load(tiny_gemma_tokenizer)
    assert first is not None
    built = pieces._build_index(first)
    assert "trade" in built["pieces"] and " the" in built["pieces"] and "the" in built["lexicon"]
    assert pieces._index(first) == built and built["more"] == {}  # the tiny vocabulary writes each text once
    (cached,) = tmp_path.glob(f"*-{pieces.INDEX_FORMAT}.json")  # beside it: the tokenizer cache and digests
    second = load(tiny_gemma_tokenizer)  # a new tokenizer object: read from the file, not rebuilt
    monkeypatch.setattr(pieces, "_build_index", lambda tok: pytest.fail("rebuilt"))
    assert pieces.lexicon(second) == built["lexicon"] and pieces._index(second) == built
    cached.write_text("{not json", encoding="utf-8")  # a damaged cache file is rebuilt and replaced
    monkeypatch.undo()
    monkeypatch.setenv(CACHE_ENV, str(tmp_path))
    third = load(tiny_gemma_tokenizer)
    assert pieces._index(third) == built
    assert json.loads(cached.read_text(encoding="utf-8"))["lexicon"] == built["lexicon"]


def test_a_freed_tokenizers_index_never_serves_another(monkeypatch: pytest.MonkeyPatch) -> None:
    """The in-memory index is held per tokenizer object, not per ``id()``: CPython reuses the id of a freed object,
    and a stale index handed tokens of a 262k vocabulary to a 340-token model."""
    import gc

    from accord.summarise import pieces

    class Tok:
        def __init__(self, words: list[str]) -> None:
            self.words = words

    monkeypatch.setattr(pieces, "_build_index", lambda tok: {"pieces": dict.fromkeys(tok.words, 0)})
    held = len(pieces._PIECE_CACHE)
    first = Tok(["trade"])
    assert list(pieces._index(first)["pieces"]) == ["trade"]
    del first
    gc.collect()
    assert len(pieces._PIECE_CACHE) == held  # the freed tokenizer's index went with it
    seconds = [Tok(["defence"]) for _ in range(50)]  # some of these may take the freed id
    assert all(list(pieces._index(t)["pieces"]) == ["defence"] for t in seconds)
