"""The fast tokenizer (pure-Python BPE or Rust) answers the summariser's calls as transformers' GemmaTokenizer does."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from accord.summarise import tokenizer as fast_tokenizer

TEXTS = ["Article: The Prime Minister met the Speaker in Hanoi.\n\nOne-sentence summary:", "\n", "a", " a",
         "Hà Nội  —  the Speaker’s visit (Yonhap) -- ", "trade, defence and tourism", ""]


def test_fast_tokenizer_matches_transformers(tiny_gemma_tokenizer: Path) -> None:
    from transformers import AutoTokenizer

    ref, mine = AutoTokenizer.from_pretrained(tiny_gemma_tokenizer), fast_tokenizer.load(tiny_gemma_tokenizer)
    assert mine is not None and len(mine) == len(ref)
    assert (mine.all_special_ids, mine.pad_token_id, mine.eos_token_id) == (ref.all_special_ids, ref.pad_token_id,
                                                                           ref.eos_token_id)
    for add in (True, False):
        assert mine(TEXTS, add_special_tokens=add)["input_ids"] == ref(TEXTS, add_special_tokens=add)["input_ids"]
        assert [mine(t, add_special_tokens=add)["input_ids"] for t in TEXTS] == \
            [ref(t, add_special_tokens=add)["input_ids"] for t in TEXTS]
    ids = list(range(len(ref)))
    assert mine.convert_ids_to_tokens(ids) == ref.convert_ids_to_tokens(ids)
    assert mine.get_vocab() == ref.get_vocab()
    rng = random.Random(0)
    rows = [[rng.randrange(len(ref)) for _ in range(rng.randrange(1, 12))] for _ in range(200)] + [[i] for i in ids]
    for skip in (True, False):
        assert mine.batch_decode(rows, skip_special_tokens=skip) == ref.batch_decode(rows, skip_special_tokens=skip)


def test_other_tokenizers_are_left_to_transformers(tiny_causal_lm: Path, tmp_path: Path) -> None:
    assert fast_tokenizer.load(tiny_causal_lm) is None  # a BERT WordPiece (cleans up spaces): not reproduced here
    assert fast_tokenizer.load(tmp_path) is None


def test_file_digest_is_remembered_until_the_file_changes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import hashlib

    monkeypatch.setenv(fast_tokenizer.CACHE_ENV, str(tmp_path / "cache"))
    path = tmp_path / "tokenizer.json"
    path.write_text('{"a": 1}', encoding="utf-8")
    first = fast_tokenizer.file_digest(path)
    assert first == hashlib.sha256(path.read_bytes()).hexdigest()[:20]
    with monkeypatch.context() as m:  # the same size and time: read from the record, not hashed
        m.setattr(hashlib, "sha256", lambda data: pytest.fail("hashed again"))
        assert fast_tokenizer.file_digest(path) == first
    path.write_text('{"a": 22}', encoding="utf-8")  # changed: hashed again
    assert fast_tokenizer.file_digest(path) == hashlib.sha256(path.read_bytes()).hexdigest()[:20] != first
    (tmp_path / "cache" / fast_tokenizer.DIGESTS_FILE).write_text("[1, 2]", encoding="utf-8")  # damaged record
    assert fast_tokenizer.file_digest(path) == hashlib.sha256(path.read_bytes()).hexdigest()[:20]
