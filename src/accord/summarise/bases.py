"""The digest that pins a summariser's adapter to the base it was trained on (the bases and their aliases are
:mod:`accord.bases`)."""

from __future__ import annotations

import contextlib
import hashlib
import json
from pathlib import Path
from typing import Any

from accord.bases import resolve_base
from accord.io import write_text_atomic
from accord.summarise.config import SummariserConfig

DIGEST_SUFFIX = ".sha256.json"  # beside a base's weights: their digest, valid while their size and mtime are unchanged


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
