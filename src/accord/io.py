"""Safe file I/O: input errors that name the file and line, JSONL reading that keeps going, atomic writes.

Every reader here raises or collects :class:`InputError`, never a raw traceback, so commands can name the bad
file (and line), process the rest and exit non-zero. Writers go through a temp file and ``os.replace``.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any


class InputError(Exception):
    """Bad input: carries the file, the line (1-based, if known) and what is wrong."""

    def __init__(self, path: str | os.PathLike[str], message: str, line: int | None = None) -> None:
        self.path = str(path)
        self.line = line
        self.message = message
        where = f"{self.path}:{line}" if line is not None else self.path
        super().__init__(f"{where}: {message}")

    def to_dict(self) -> dict[str, Any]:
        return {"file": self.path, "line": self.line, "error": self.message}


def _line_of(data: bytes, offset: int) -> tuple[int, int]:
    """1-based line and column of a byte offset."""
    line = data.count(b"\n", 0, offset) + 1
    column = offset - (data.rfind(b"\n", 0, offset) + 1) + 1
    return line, column


def decode_text(data: bytes, path: str | os.PathLike[str]) -> str:
    """Decode UTF-8 bytes (BOM allowed) to NFC text; binary or non-UTF-8 data raises :class:`InputError`."""
    nul = data.find(b"\x00")
    if nul >= 0:
        line, _ = _line_of(data, nul)
        raise InputError(path, f"binary file (NUL byte at offset {nul}), not a text article", line)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line, column = _line_of(data, exc.start)
        raise InputError(
            path, f"not valid UTF-8 (byte 0x{data[exc.start]:02x} at column {column}); re-save the file as UTF-8", line
        ) from None
    return unicodedata.normalize("NFC", text)


def read_text(path: str | os.PathLike[str], max_bytes: int | None = None) -> str:
    """Read a UTF-8 text file as NFC text; missing, unreadable, empty, binary or non-UTF-8 files raise InputError."""
    p = Path(path)
    try:
        size = p.stat().st_size
        if p.is_dir():
            raise InputError(p, "is a folder, not a file")
        if max_bytes is not None and size > max_bytes:
            raise InputError(p, f"file is {size:,} bytes, over the {max_bytes:,}-byte limit")
        data = p.read_bytes()
    except FileNotFoundError:
        raise InputError(p, "no such file") from None
    except PermissionError:
        raise InputError(p, "permission denied") from None
    except OSError as exc:
        raise InputError(p, f"cannot read: {exc.strerror or exc}") from None
    text = decode_text(data, p)
    if not text.strip():
        raise InputError(p, "empty file")
    return text


def parse_json_object(raw: bytes, path: str | os.PathLike[str], line: int) -> dict[str, Any]:
    """One JSONL line as a dict; non-UTF-8, malformed or non-object lines raise InputError naming file and line."""
    try:
        text = decode_text(raw, path)
    except InputError as exc:
        raise InputError(path, exc.message, line) from None
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(path, f"malformed JSON: {exc.msg} (column {exc.colno})", line) from None
    if not isinstance(obj, dict):
        raise InputError(path, f"expected a JSON object, got {type(obj).__name__}", line)
    return obj


def iter_jsonl(path: str | os.PathLike[str], errors: list[InputError]) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield ``(line_number, object)`` for each good JSON-object line; append an InputError for each bad one.

    Blank lines are skipped. A file that cannot be opened adds one error and yields nothing.
    """
    p = Path(path)
    try:
        fh = p.open("rb")
    except OSError as exc:
        errors.append(InputError(p, "no such file" if isinstance(exc, FileNotFoundError) else f"cannot read: {exc}"))
        return
    with fh:
        for lineno, raw in enumerate(fh, start=1):
            if not raw.strip():
                continue
            try:
                obj = parse_json_object(raw, p, lineno)
            except InputError as exc:
                errors.append(exc)
                continue
            yield lineno, obj


@contextlib.contextmanager
def atomic_open(path: str | os.PathLike[str], mode: str = "w", encoding: str | None = "utf-8") -> Iterator[IO[Any]]:
    """Open a temp file next to ``path``; on success rename it over ``path``, on any error remove it."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, mode, encoding=None if "b" in mode else encoding) as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def write_text_atomic(path: str | os.PathLike[str], text: str) -> None:
    """Write ``text`` to ``path`` atomically."""
    with atomic_open(path) as fh:
        fh.write(text)


def write_jsonl_atomic(path: str | os.PathLike[str], rows: list[dict[str, Any]]) -> None:
    """Write rows as JSON Lines (UTF-8, non-ASCII kept) atomically."""
    with atomic_open(path) as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")


def errors_path(out: str | os.PathLike[str]) -> Path:
    """Where the input errors of a run writing ``out`` go: ``<out>.errors.jsonl``."""
    return Path(f"{out}.errors.jsonl")


def write_errors(out: str | os.PathLike[str], errors: list[InputError]) -> Path:
    """Write ``errors`` (one JSON object each) beside ``out``, atomically; returns the file written."""
    path = errors_path(out)
    write_jsonl_atomic(path, [e.to_dict() for e in errors])
    return path
