"""A pure-Python reader of SentencePiece-style BPE ``tokenizer.json`` files (Gemma's), loaded from a compact cache.

The Rust ``tokenizers`` library spends 1.3–1.9 s building Gemma's 514,906 merges at every start, and holds the GIL
while it does, so nothing overlaps it. The summariser encodes a few documents and decodes a few hundred short token
lists per command, which plain Python does in milliseconds, so :func:`load` keeps the vocabulary and the merges as
arrays (``models/tokenizers/<digest>-bpe/``, built once from ``tokenizer.json``) and reads them in about 0.25 s.

Only one shape is reproduced, the one Gemma's converter writes (:func:`supported`): ``' '`` replaced by ``'▁'``, no
real pre-tokenizer, byte-fallback BPE, added tokens matched leftmost-longest on the raw text, an optional prefix
token, and the Replace/ByteFallback/Fuse decoder. Anything else is left to the Rust library. Tests compare it token
for token with ``tokenizers``.
"""

from __future__ import annotations

import contextlib
import heapq
import json
import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

SPACE = "▁"  # SentencePiece's space mark
SHIFT = 20  # merge keys pack two ids as (a << SHIFT) | b; ids must stay below 2**SHIFT
_NORMALIZER = {"type": "Replace", "pattern": {"String": " "}, "content": SPACE}
_PRE_TOKENIZERS = (None, {"type": "Split", "pattern": {"String": " "}, "behavior": "MergedWithPrevious",
                          "invert": False})  # a no-op once spaces are '▁'
_DECODER = {"type": "Sequence", "decoders": [{"type": "Replace", "pattern": {"String": SPACE}, "content": " "},
                                             {"type": "ByteFallback"}, {"type": "Fuse"}]}
_BPE = {"type": "BPE", "dropout": None, "continuing_subword_prefix": None, "end_of_word_suffix": None,
        "byte_fallback": True, "ignore_merges": False}
_BYTE = re.compile(r"<0x([0-9A-Fa-f]{2})>")
CACHE_FORMAT = 1  # bumped when the cache's layout changes


class Encoding(NamedTuple):
    """What ``tokenizers.Encoding`` offers that the summariser reads."""

    ids: list[int]


def supported(spec: dict[str, Any]) -> bool:
    """Whether ``spec`` (a parsed ``tokenizer.json``) has the one shape :class:`BPE` reproduces exactly."""
    model, post = spec.get("model") or {}, spec.get("post_processor")
    if any(model.get(k) != v for k, v in _BPE.items()) or spec.get("truncation") or spec.get("padding"):
        return False
    if spec.get("normalizer") != _NORMALIZER or spec.get("pre_tokenizer") not in _PRE_TOKENIZERS:
        return False
    if spec.get("decoder") != _DECODER or (post is not None and _prefix(post) is None):
        return False
    vocab = model.get("vocab") or {}
    if not vocab or len(vocab) >= 2 ** SHIFT or set(vocab.values()) != set(range(len(vocab))):
        return False  # ids 0..n-1, each once, below the packing limit
    if any(f"<0x{b:02X}>" not in vocab for b in range(256)):
        return False
    return all(not (a["lstrip"] or a["rstrip"] or a["single_word"] or a["normalized"])
               and vocab.get(a["content"]) == a["id"] for a in spec.get("added_tokens", []))


def _prefix(post: dict[str, Any]) -> list[str] | None:
    """The special tokens a ``TemplateProcessing`` puts before a single sequence (``None``: another template)."""
    if post.get("type") != "TemplateProcessing":
        return None
    single = post.get("single") or []
    if not single or "Sequence" not in single[-1] or any("SpecialToken" not in p for p in single[:-1]):
        return None
    return [p["SpecialToken"]["id"] for p in single[:-1]]


class BPE:
    """Encode and decode as ``tokenizers.Tokenizer`` does for a :func:`supported` file (the same method names)."""

    def __init__(self, tokens: list[str], merges: np.ndarray, meta: dict[str, Any]) -> None:
        self.tokens, self.prefix, self.bytes = tokens, meta["prefix"], meta["bytes"]
        keys = (merges[:, 0].astype(np.int64) << SHIFT | merges[:, 1]).tolist()
        ranks = (np.arange(len(merges), dtype=np.int64) << SHIFT | merges[:, 2]).tolist()
        self.merges = dict(zip(keys, ranks, strict=True))  # packed (a, b) -> packed (rank, merged id); last one wins
        self.chars = {t: i for i, t in enumerate(tokens) if len(t) == 1}
        self.added = {a["content"]: a["id"] for a in meta["added"]}
        self.special = {a["id"] for a in meta["added"] if a["special"]}
        lengths: dict[str, set[int]] = {}  # first character -> lengths of the added tokens that start with it
        for text in self.added:
            lengths.setdefault(text[0], set()).add(len(text))
        self.lengths = {c: sorted(ls, reverse=True) for c, ls in lengths.items()}
        self._starts = re.compile("|".join(map(re.escape, self.lengths))) if self.lengths else None
        self._vocab: dict[str, int] | None = None

    def get_vocab(self, with_added_tokens: bool = True) -> dict[str, int]:
        return dict(self._lookup())

    def get_vocab_size(self, with_added_tokens: bool = True) -> int:
        return len(self.tokens)

    def token_to_id(self, token: str) -> int | None:
        return self._lookup().get(token)

    def id_to_token(self, i: int) -> str | None:
        return self.tokens[i] if 0 <= i < len(self.tokens) else None

    def _lookup(self) -> dict[str, int]:
        if self._vocab is None:  # built on first use: encoding never needs it
            self._vocab = {t: i for i, t in enumerate(self.tokens)}
        return self._vocab

    def encode(self, text: str, add_special_tokens: bool = True) -> Encoding:
        ids = list(self.prefix) if add_special_tokens else []
        for piece, added in self._split(text):
            if added is not None:
                ids.append(added)
            elif piece:
                ids += self._bpe(piece.replace(" ", SPACE))
        return Encoding(ids)

    def encode_batch(self, texts: list[str], add_special_tokens: bool = True) -> list[Encoding]:
        return [self.encode(t, add_special_tokens) for t in texts]

    def _split(self, text: str) -> list[tuple[str, int | None]]:
        """The text cut around its added tokens, each matched leftmost-longest (as Aho-Corasick does)."""
        out, start, at = [], 0, 0
        while self._starts is not None and (m := self._starts.search(text, at)):
            i = m.start()
            hit = next((text[i:i + n] for n in self.lengths[text[i]] if text[i:i + n] in self.added), None)
            if hit is None:
                at = i + 1
                continue
            out += [(text[start:i], None), (hit, self.added[hit])]
            start = at = i + len(hit)
        return [*out, (text[start:], None)]

    def _symbols(self, word: str) -> list[int]:
        ids: list[int] = []
        for ch in word:
            i = self.chars.get(ch)
            ids += [i] if i is not None else [self.bytes[b] for b in ch.encode("utf-8")]
        return ids

    def _bpe(self, word: str) -> list[int]:
        """Merge the lowest-ranked adjacent pair first, the leftmost on a tie, until none is left."""
        c = self._symbols(word)
        n, merges, mask = len(c), self.merges, (1 << SHIFT) - 1
        prev, nxt, alive = list(range(-1, n - 1)), [*range(1, n), -1], [True] * n
        heap = [(v >> SHIFT, i, v & mask) for i in range(n - 1)
                if (v := merges.get(c[i] << SHIFT | c[i + 1])) is not None]
        heapq.heapify(heap)
        while heap:
            _, i, new = heapq.heappop(heap)
            j = nxt[i]
            if not alive[i] or j < 0 or (merges.get(c[i] << SHIFT | c[j], -1) & mask) != new:
                continue  # an entry outdated by an earlier merge
            c[i], alive[j], nxt[i] = new, False, nxt[j]
            if nxt[j] >= 0:
                prev[nxt[j]] = i
            for a, b in ((prev[i], i), (i, nxt[i])):
                if a >= 0 and b >= 0 and (v := merges.get(c[a] << SHIFT | c[b])) is not None:
                    heapq.heappush(heap, (v >> SHIFT, a, v & mask))
        return [t for t, keep in zip(c, alive, strict=True) if keep]

    def decode(self, ids: list[int], skip_special_tokens: bool = True) -> str:
        """Tokens joined, '▁' as spaces, runs of byte tokens read as UTF-8 (one '�' per byte when they are not)."""
        out: list[str] = []
        run = bytearray()
        for i in ids:
            if not 0 <= i < len(self.tokens) or (skip_special_tokens and i in self.special):
                continue
            token = self.tokens[i].replace(SPACE, " ")
            if len(token) == 6 and (m := _BYTE.fullmatch(token)):
                run.append(int(m.group(1), 16))
                continue
            if run:
                out.append(_utf8(run))
                run = bytearray()
            out.append(token)
        if run:
            out.append(_utf8(run))
        return "".join(out)


def _utf8(run: bytearray) -> str:
    try:
        return run.decode("utf-8")
    except UnicodeDecodeError:
        return "\ufffd" * len(run)


def arrays(spec: dict[str, Any]) -> tuple[list[str], np.ndarray, dict[str, Any]]:
    """A :func:`supported` ``tokenizer.json`` as :class:`BPE`'s arguments: tokens by id, merges, the rest."""
    vocab = spec["model"]["vocab"]
    tokens = [""] * len(vocab)
    for token, i in vocab.items():
        tokens[i] = token
    pairs = [m.split(" ", 1) if isinstance(m, str) else m for m in spec["model"]["merges"]]
    merges = np.array([(vocab[a], vocab[b], vocab[a + b]) for a, b in pairs], dtype=np.int32).reshape(-1, 3)
    post = spec.get("post_processor")
    prefix = [i for name in (_prefix(post) if post else []) for i in post["special_tokens"][name]["ids"]]
    meta = {"format": CACHE_FORMAT, "prefix": prefix, "bytes": [vocab[f"<0x{b:02X}>"] for b in range(256)],
            "added": [{k: a[k] for k in ("id", "content", "special")} for a in spec.get("added_tokens", [])]}
    return tokens, merges, meta


def write(folder: Path, tokens: list[str], merges: np.ndarray, meta: dict[str, Any]) -> None:
    """Write the cache into ``folder``, whole or not at all."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=folder.parent, prefix=f".{folder.name}-"))
    try:
        (tmp / "tokens.json").write_text(json.dumps(tokens, ensure_ascii=False), encoding="utf-8")
        np.save(tmp / "merges.npy", merges)
        (tmp / "meta.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
        if folder.exists():  # a damaged cache: moved aside, then replaced
            os.replace(folder, old := folder.with_name(f".{folder.name}-old-{os.getpid()}"))
            shutil.rmtree(old, ignore_errors=True)
        os.replace(tmp, folder)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def read(folder: Path) -> BPE:
    """The tokenizer cached in ``folder`` by :func:`write`."""
    meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    if meta.get("format") != CACHE_FORMAT:
        raise ValueError(f"{folder}: cache format {meta.get('format')}, expected {CACHE_FORMAT}")
    tokens = json.loads((folder / "tokens.json").read_text(encoding="utf-8"))
    return BPE(tokens, np.load(folder / "merges.npy"), meta)


def load(path: Path, folder: Path) -> BPE | None:
    """The tokenizer of ``path`` (a ``tokenizer.json``) from its cache ``folder``, which is written on first use;
    ``None`` when the file has a shape :class:`BPE` does not reproduce."""
    with contextlib.suppress(OSError, ValueError, KeyError):
        return read(folder)
    spec = json.loads(path.read_text(encoding="utf-8"))
    if not supported(spec):
        return None
    parts = arrays(spec)
    with contextlib.suppress(OSError):  # a read-only cache only costs the build next time
        write(folder, *parts)
    return BPE(*parts)
