"""Check the pure-Python BPE (``accord.summarise.bpe``) against the Rust ``tokenizers`` library on the project's texts.

    python evaluation/check_tokenizer.py [models/base/gemma-3-270m]   # -> evaluation/reports/tokenizer_check.md

Every text of the curated and real corpora (articles, sentences, reference summaries) is encoded by both, with and
without the <bos> prefix, and decoded back by both; any difference is listed. Also the load time of each.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

from accord import paths
from accord.io import write_text_atomic
from accord.summarise import bpe

DEFAULT_BASE = paths.MODELS_DIR / "base" / "gemma-3-270m"  # the summariser's base, converted by `make install`
SOURCES = (paths.REPORTS_FILE, paths.SENTENCES_FILE, paths.REAL_ARTICLES_FILE, paths.REAL_SENTENCES_FILE)
REPORT = paths.REPORTS_DIR / "tokenizer_check.md"


def corpus_texts() -> list[str]:
    """Every string field of every record of :data:`SOURCES` that is longer than a word."""
    texts = []
    for name in SOURCES:  # the curated and real corpora
        for line in name.read_text(encoding="utf-8").splitlines():
            if line.strip():
                texts += [v for v in json.loads(line).values() if isinstance(v, str) and len(v) > 20]
    return texts


def _shown(path: Path) -> str:
    """``path`` relative to the project when it is inside it (the report names no machine's folders)."""
    return str(path.resolve().relative_to(paths.ROOT)) if path.resolve().is_relative_to(paths.ROOT) else str(path)


def main(base: Path) -> int:
    from tokenizers import Tokenizer

    path = base / "tokenizer.json"
    start = time.perf_counter()
    rust = Tokenizer.from_file(str(path))
    rust_s = time.perf_counter() - start
    with tempfile.TemporaryDirectory() as tmp:
        mine = bpe.load(path, Path(tmp) / "cache")  # builds the cache
        start = time.perf_counter()
        mine = bpe.load(path, Path(tmp) / "cache")  # reads it
        cached_s = time.perf_counter() - start
    if mine is None:
        print(f"{path}: not a tokenizer shape accord.summarise.bpe reproduces", file=sys.stderr)
        return 1
    texts, differ = corpus_texts(), []
    for text in texts:
        for add in (True, False):
            ids = rust.encode(text, add_special_tokens=add).ids
            back = rust.decode(ids, skip_special_tokens=True)
            if mine.encode(text, add).ids != ids or mine.decode(ids, True) != back:
                differ.append(text[:80])
    lines = ["# Tokenizer check: pure-Python BPE against the Rust library", "",
             f"`{_shown(path)}`; {len(texts):,} texts of the curated and real corpora, each encoded with and without "
             "the prefix token and decoded back.", "",
             "| | value |", "|---|---|",
             f"| texts that differ | {len(differ)} of {len(texts):,} |",
             f"| load: Rust `Tokenizer.from_file` | {rust_s:.2f} s |",
             f"| load: pure-Python BPE from its cache | {cached_s:.2f} s |", ""]
    lines += [f"- differs: {t!r}" for t in differ[:20]]
    write_text_atomic(REPORT, "\n".join(lines) + "\n")
    print(f"{len(differ)} of {len(texts)} texts differ; report: {REPORT}")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_BASE))
