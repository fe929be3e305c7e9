"""Base checkpoints: the GGUF conversion parses its file once (transformers would parse it three times)."""

from __future__ import annotations

from pathlib import Path

import gguf

from accord.bases import _one_gguf_parse


def _tiny_gguf(path: Path) -> Path:
    writer = gguf.GGUFWriter(str(path), "gemma3")
    writer.add_string("general.name", "tiny")
    writer.add_array("tokenizer.ggml.tokens", ["<pad>", "a", "b"])
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path


def test_one_gguf_parse_shares_the_reader_and_restores_the_class(tmp_path: Path) -> None:
    path = _tiny_gguf(tmp_path / "tiny.gguf")
    original = gguf.GGUFReader
    with _one_gguf_parse():
        from gguf import GGUFReader  # how transformers imports it, at each call

        first, again = GGUFReader(path), GGUFReader(str(path))
        assert first is again  # one parse for the config, the tokenizer and the weights
        assert list(first.fields["tokenizer.ggml.tokens"].contents()) == ["<pad>", "a", "b"]
        other = GGUFReader(_tiny_gguf(tmp_path / "other.gguf"))
        assert other is not first  # keyed by file
    assert gguf.GGUFReader is original
