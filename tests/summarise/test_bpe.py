"""The pure-Python BPE encodes and decodes token for token as the Rust ``tokenizers`` library does."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest

from accord.summarise import bpe

ADDED = [("<start_of_turn>", True), ("\n\n", False), ("\n\n\n", False), ("<b>", False), ("</b>", False),
         ("<bbox>", False), ("\t", False)]  # Gemma's kinds: specials, runs of newlines, tags sharing a first char
MERGES = [("a", "b"), ("b", "c"), ("ab", "c"), ("a", "bc"), ("a", "a"), ("aa", "a"), ("▁", "a"), ("▁a", "b"),
          ("c", "c"), ("▁", "▁"), ("a", "b")]  # overlapping, two ways to one token, and a duplicate (last wins)
ALPHABET = [*"abc ▁\n\t<>/.é—", "😀", "<b>", "</b>", "<bbox", "<start_of_turn>", "<bos>", "<0x41>", "\n\n\n\n", "  "]


def gemma_like(base: Path) -> dict[str, Any]:
    """The tiny Gemma tokenizer's file, with added tokens inside the vocabulary and a <bos> prefix, as Gemma's."""
    spec = json.loads((base / "tokenizer.json").read_text(encoding="utf-8"))
    vocab = spec["model"]["vocab"]
    for a, b in MERGES:
        for token in (a, b, a + b):
            vocab.setdefault(token, len(vocab))
    spec["model"]["merges"] = [list(m) for m in MERGES]
    for content, special in ADDED:
        vocab.setdefault(content, len(vocab))
        spec["added_tokens"].append({"id": vocab[content], "content": content, "single_word": False, "lstrip": False,
                                     "rstrip": False, "normalized": False, "special": special})
    spec["post_processor"] = {"type": "TemplateProcessing", "single": [
        {"SpecialToken": {"id": "<bos>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
        "pair": [{"Sequence": {"id": "A", "type_id": 0}}, {"Sequence": {"id": "B", "type_id": 1}}],
        "special_tokens": {"<bos>": {"id": "<bos>", "ids": [vocab["<bos>"]], "tokens": ["<bos>"]}}}
    return spec


@pytest.fixture
def pair(tiny_gemma_tokenizer: Path, tmp_path: Path) -> tuple[bpe.BPE, Any, Path]:
    from tokenizers import Tokenizer

    path = tmp_path / "tokenizer.json"
    path.write_text(json.dumps(gemma_like(tiny_gemma_tokenizer), ensure_ascii=False), encoding="utf-8")
    mine = bpe.load(path, tmp_path / "cache")
    assert mine is not None
    return mine, Tokenizer.from_file(str(path)), path


def test_encodes_as_the_rust_library(pair: tuple[bpe.BPE, Any, Path]) -> None:
    mine, ref, _ = pair
    rng = random.Random(0)
    texts = ["".join(rng.choice(ALPHABET) for _ in range(rng.randrange(0, 25))) for _ in range(3000)]
    texts += ["aaaa", "abcabc", " ab c", "\n\n\n\n\n", "<b><b>", "<bbox>", "<bbo", "Hà Nội — trade"]
    for add in (True, False):
        assert [mine.encode(t, add).ids for t in texts] == [ref.encode(t, add_special_tokens=add).ids for t in texts]
    assert [e.ids for e in mine.encode_batch(texts[:50], False)] == \
        [e.ids for e in ref.encode_batch(texts[:50], add_special_tokens=False)]


def test_decodes_as_the_rust_library(pair: tuple[bpe.BPE, Any, Path]) -> None:
    mine, ref, _ = pair
    rng = random.Random(1)
    size = ref.get_vocab_size(with_added_tokens=True)
    assert mine.get_vocab_size() == size and mine.get_vocab() == ref.get_vocab(with_added_tokens=True)
    assert [mine.id_to_token(i) for i in range(size + 1)] == [ref.id_to_token(i) for i in range(size + 1)]
    byte_ids = [ref.token_to_id(f"<0x{b:02X}>") for b in (0x41, 0xC3, 0xA9, 0xE2, 0x80, 0x94, 0xFF)]
    rows = [[rng.choice(byte_ids) if rng.random() < 0.5 else rng.randrange(size + 1) for _ in range(rng.randrange(12))]
            for _ in range(3000)]  # runs of byte tokens, valid UTF-8 or not, between ordinary, special and unknown ids
    for skip in (True, False):
        assert [mine.decode(r, skip) for r in rows] == [ref.decode(r, skip_special_tokens=skip) for r in rows]


def test_cache_is_read_back_and_rebuilt_when_damaged(pair: tuple[bpe.BPE, Any, Path],
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    mine, _, path = pair
    cache = path.parent / "cache"
    assert sorted(p.name for p in cache.iterdir()) == ["merges.npy", "meta.json", "tokens.json"]
    with monkeypatch.context() as m:
        m.setattr(bpe, "arrays", lambda spec: pytest.fail("rebuilt"))
        again = bpe.load(path, cache)
    assert again is not None and again.encode("abc ab").ids == mine.encode("abc ab").ids
    (cache / "meta.json").write_text("{", encoding="utf-8")
    rebuilt = bpe.load(path, cache)
    assert rebuilt is not None and rebuilt.encode("abc ab").ids == mine.encode("abc ab").ids
    assert json.loads((cache / "meta.json").read_text(encoding="utf-8"))["format"] == bpe.CACHE_FORMAT


def test_other_shapes_are_left_to_the_rust_library(tiny_gemma_tokenizer: Path, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    from accord.summarise import tokenizer

    spec = gemma_like(tiny_gemma_tokenizer)
    assert bpe.supported(spec)
    for key, value in (("normalizer", None), ("decoder", None), ("model", spec["model"] | {"byte_fallback": False}),
                       ("added_tokens", [spec["added_tokens"][0] | {"lstrip": True}])):
        assert not bpe.supported(spec | {key: value}), key
    other = tmp_path / "other.json"
    other.write_text(json.dumps(spec | {"normalizer": None}), encoding="utf-8")
    assert bpe.load(other, tmp_path / "other-cache") is None and not (tmp_path / "other-cache").exists()
    monkeypatch.setenv(tokenizer.CACHE_ENV, str(tmp_path / "caches"))
    assert isinstance(tokenizer.load(tiny_gemma_tokenizer).backend, bpe.BPE)
    monkeypatch.setenv(tokenizer.PYTHON_BPE_ENV, "0")
    assert not isinstance(tokenizer.load(tiny_gemma_tokenizer).backend, bpe.BPE)
