"""A tokenizer read straight from ``tokenizer.json``, for fast start-up.

``AutoTokenizer`` needs ``transformers`` imported (about 1 s) and then re-parses Gemma's 33 MB ``tokenizer.json`` in
Python and rebuilds it (about 3 s); ``tokenizers.Tokenizer.from_file`` reads the same file in 1.3–1.9 s, and the
cached arrays of :mod:`accord.summarise.bpe` in about 0.3 s. This class answers the few calls the summariser's
decoding makes (encode, decode, token strings, special ids) exactly as ``transformers`` does for the tokenizers it
accepts (:data:`SUPPORTED`, no clean-up of spaces), through ``bpe`` where the file has its shape and the Rust
library otherwise; ``load`` returns ``None`` for anything else and the caller uses ``AutoTokenizer``. Tests check it
token for token against ``transformers``.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from pathlib import Path
from typing import Any

from accord import paths
from accord.io import write_text_atomic

SUPPORTED = ("GemmaTokenizer", "GemmaTokenizerFast")  # checked token for token against transformers
SPECIAL_NAMES = ("bos_token", "eos_token", "unk_token", "pad_token", "mask_token")  # transformers' order
CACHE_ENV = "ACCORD_TOKENIZER_CACHE"  # where what is built once per tokenizer file is kept between processes
PYTHON_BPE_ENV = "ACCORD_PYTHON_BPE"  # "0": always the Rust library (for comparisons)
DIGESTS_FILE = "digests.json"  # in cache_root(): file -> [size, mtime_ns, digest], so a start need not hash 33 MB


def cache_root() -> Path:
    """``$ACCORD_TOKENIZER_CACHE``, else ``models/tokenizers`` under the project root."""
    return Path(os.environ.get(CACHE_ENV) or paths.MODELS_DIR / "tokenizers")


def file_digest(path: Path) -> str:
    """What the caches of a tokenizer file are keyed by: the SHA-256 of its bytes, hashed again only when its size
    or modification time changed (hashing Gemma's file took 0.15 s of every start)."""
    stat, record = path.stat(), cache_root() / DIGESTS_FILE
    key, stamp = str(path.resolve()), [stat.st_size, stat.st_mtime_ns]
    known: dict[str, list[Any]] = {}
    with contextlib.suppress(OSError, ValueError, TypeError):  # missing or damaged: hashed and rewritten
        known = dict(json.loads(record.read_text(encoding="utf-8")))
    entry = known.get(key)
    if isinstance(entry, list) and len(entry) == 3 and entry[:2] == stamp:
        return str(entry[2])
    digest = hashlib.sha256(path.read_bytes()).hexdigest()[:20]
    with contextlib.suppress(OSError):  # a read-only cache only costs the hash next time
        record.parent.mkdir(parents=True, exist_ok=True)
        write_text_atomic(record, json.dumps(known | {key: [*stamp, digest]}, ensure_ascii=False))
    return digest


class FastTokenizer:
    """Encode/decode through a ``tokenizers``-like backend (:class:`~accord.summarise.bpe.BPE` or the Rust
    library) with transformers' special-token attributes."""

    def __init__(self, backend: Any, special: dict[str, str], source: Path | None = None,
                 digest: str | None = None) -> None:
        self.backend, self.padding_side = backend, "left"
        self.source, self.digest = source, digest  # its tokenizer.json and that file's digest
        for name in SPECIAL_NAMES:
            token = special.get(name)
            setattr(self, name, token)
            setattr(self, f"{name}_id", backend.token_to_id(token) if token else None)
        self.all_special_ids = [getattr(self, f"{n}_id") for n in SPECIAL_NAMES if getattr(self, f"{n}_id") is not None]

    def __len__(self) -> int:
        return self.backend.get_vocab_size(with_added_tokens=True)

    def __call__(self, text: str | list[str], add_special_tokens: bool = True) -> dict[str, Any]:
        if isinstance(text, str):
            return {"input_ids": self.backend.encode(text, add_special_tokens=add_special_tokens).ids}
        return {"input_ids": [e.ids for e in self.backend.encode_batch(text, add_special_tokens=add_special_tokens)]}

    def decode(self, ids: list[int], skip_special_tokens: bool = False) -> str:
        return self.backend.decode(list(ids), skip_special_tokens=skip_special_tokens)

    def batch_decode(self, rows: list[list[int]], skip_special_tokens: bool = False) -> list[str]:
        return [self.decode(r, skip_special_tokens) for r in rows]

    def convert_ids_to_tokens(self, ids: list[int]) -> list[str | None]:
        return [self.backend.id_to_token(i) for i in ids]

    def get_vocab(self) -> dict[str, int]:
        return self.backend.get_vocab(with_added_tokens=True)


def load(folder: str | Path) -> FastTokenizer | None:
    """The tokenizer saved in ``folder``, or ``None`` when it is not one this class reproduces exactly."""
    from accord.summarise import bpe

    folder = Path(folder)
    try:
        cfg = json.loads((folder / "tokenizer_config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if (cfg.get("tokenizer_class") not in SUPPORTED or cfg.get("clean_up_tokenization_spaces")
            or cfg.get("extra_special_tokens") or cfg.get("additional_special_tokens")
            or not (folder / "tokenizer.json").exists()):
        return None
    special = {name: value["content"] if isinstance(value, dict) else value
               for name in SPECIAL_NAMES if (value := cfg.get(name))}
    path = folder / "tokenizer.json"
    digest = file_digest(path)
    backend = bpe.load(path, cache_root() / f"{digest}-bpe") if os.environ.get(PYTHON_BPE_ENV) != "0" else None
    if backend is None:  # another shape, or asked for: the Rust library (imported only then)
        from tokenizers import Tokenizer

        backend = Tokenizer.from_file(str(path))
    return FastTokenizer(backend, special, path, digest)
