"""Inputs of batch commands: every kind of input streamed as records, each bad file (and line) named.

Files, folders (recursive ``*.txt``/``*.md``), JSONL, CSV, Parquet and ``-`` (stdin: JSONL or one plain article).
Bad inputs and bad lines go to an :class:`ErrorLog` as :class:`~accord.io.InputError`; the rest is yielded in input
order, as articles (``--unit article``, split into sentences by :func:`iter_sentences`) or as sentences.
"""

from __future__ import annotations

import csv
import json
import os
import stat
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from accord.io import InputError, decode_text, line_encoding_error, not_a_file, parse_json_object, read_text
from accord.text import normalise, split_article

DEFAULT_MAX_BYTES = 100_000_000  # one article (a file, a JSONL line, a CSV row) over this is refused
UNITS = ("article", "sentence")
TEXT_SUFFIXES = (".txt", ".md")
JSONL_SUFFIXES = (".jsonl", ".ndjson", ".json")
CSV_SUFFIXES = (".csv",)
PARQUET_SUFFIXES = (".parquet",)
STDIN = "-"
SKIPPED_SHOWN = 3  # files a folder did not read, named in its warning before "and N more"
PARQUET_BATCH = 2048  # rows read from a Parquet file at a time


class ErrorLog:
    """Collects input errors (the input was skipped) and warnings (it was processed, with a caveat) and reports each
    one as it happens (to stderr in the CLI)."""

    def __init__(self, on_error: Callable[[InputError], None] | None = None,
                 on_warning: Callable[[InputError], None] | None = None) -> None:
        self.errors: list[InputError] = []
        self.warnings: list[InputError] = []
        self.on_error = on_error
        self.on_warning = on_warning

    def add(self, error: InputError) -> None:
        if error.warning:
            self.warnings.append(error)
            if self.on_warning:
                self.on_warning(error)
            return
        self.errors.append(error)
        if self.on_error:
            self.on_error(error)


@dataclass
class Record:
    """One article (``--unit article``) or one sentence (``--unit sentence``) read from an input."""

    article_id: str
    text: str
    where: str  # file or file:line, for error messages
    title: str | None = None
    sentence_index: int | None = None


# ---------------------------------------------------------------------------------------------------- readers


def _lines(fh: IO[bytes], max_bytes: int) -> Iterator[tuple[int, bytes | None]]:
    """``(line_number, raw line)``; a line over ``max_bytes`` is skipped without being held and yields ``None``."""
    lineno = 0
    while True:
        raw = fh.readline(max_bytes + 1)
        if not raw:
            return
        lineno += 1
        if len(raw) > max_bytes and not raw.endswith(b"\n"):
            while True:
                rest = fh.readline(1 << 20)
                if not rest or rest.endswith(b"\n"):
                    break
            yield lineno, None
            continue
        yield lineno, raw


def _too_big(path: str | Path, max_bytes: int, line: int | None = None) -> InputError:
    return InputError(path, f"article is over the {max_bytes:,}-byte limit (--max-bytes); skipped", line)


def _sniff(path: Path) -> None:
    """Refuse empty, UTF-16/32 and binary files before streaming them line by line."""
    with path.open("rb") as fh:
        head = fh.read(8192)
    if not head.strip():
        raise InputError(path, "empty file")
    wide = line_encoding_error(path, head, path.suffix.lstrip(".").upper() or "this input")
    if wide is not None:
        raise wide
    nul = head.find(b"\x00")
    if nul >= 0:
        raise InputError(path, f"binary file (NUL byte at offset {nul}), not text", head.count(b"\n", 0, nul) + 1)


def _record_from_obj(obj: dict[str, Any], path: str | Path, lineno: int, default_id: str) -> Record:
    text = obj.get("text")
    if not isinstance(text, str) or not text.strip():
        found = "missing" if text is None else f"{type(text).__name__} {str(text)[:40]!r}"
        raise InputError(path, f"record needs a non-empty string 'text' (got {found})", lineno)
    rid = obj.get("article_id", obj.get("id"))
    title = obj.get("title")
    index = obj.get("sentence_index")
    return Record(str(rid) if rid not in (None, "") else default_id, text, f"{path}:{lineno}",
                  str(title) if title not in (None, "") else None, index if isinstance(index, int) else None)


def _jsonl_records(path: str | Path, lines: Iterable[tuple[int, bytes | None]], stem: str, max_bytes: int,
                   log: ErrorLog) -> Iterator[Record]:
    for lineno, raw in lines:
        if raw is None:
            log.add(_too_big(path, max_bytes, lineno))
            continue
        if not raw.strip():
            continue
        try:
            yield _record_from_obj(parse_json_object(raw, path, lineno), path, lineno, f"{stem}:{lineno}")
        except InputError as exc:
            log.add(exc)


def _csv_records(path: Path, max_bytes: int, log: ErrorLog) -> Iterator[Record]:
    csv.field_size_limit(max(max_bytes, 131072))
    state = {"line": 0}

    def decoded(fh: IO[bytes]) -> Iterator[str]:
        for lineno, raw in _lines(fh, max_bytes):
            state["line"] = lineno
            if raw is None:
                log.add(_too_big(path, max_bytes, lineno))
                continue
            try:
                yield decode_text(raw, path, whole=False)
            except InputError as exc:
                log.add(InputError(path, exc.message, lineno))

    with path.open("rb") as fh:
        reader = csv.reader(decoded(fh))
        try:
            header = [h.strip() for h in next(reader)]
        except (StopIteration, csv.Error) as exc:
            log.add(InputError(path, f"no CSV header ({exc or 'empty'})", 1))
            return
        if "text" not in header:
            log.add(InputError(path, f"CSV has no 'text' column (columns: {header})", 1))
            return
        while True:
            try:
                row = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                log.add(InputError(path, f"malformed CSV: {exc}", state["line"]))
                continue
            if not any(cell.strip() for cell in row):
                continue
            obj = dict(zip(header, row, strict=False))
            try:
                yield _record_from_obj(obj, path, state["line"], f"{path.stem}:{state['line']}")
            except InputError as exc:
                log.add(exc)


def _parquet_records(path: Path, log: ErrorLog) -> Iterator[Record]:
    import pyarrow.parquet as pq

    try:
        pf = pq.ParquetFile(path)
    except Exception as exc:  # pyarrow raises several types for a bad file
        log.add(InputError(path, f"not a readable Parquet file: {exc}"))
        return
    columns = [c for c in ("text", "id", "article_id", "title", "sentence_index") if c in pf.schema_arrow.names]
    if "text" not in columns:
        log.add(InputError(path, f"Parquet file has no 'text' column (columns: {pf.schema_arrow.names})"))
        return
    row = 0
    for batch in pf.iter_batches(batch_size=PARQUET_BATCH, columns=columns):
        for obj in batch.to_pylist():
            row += 1
            try:
                yield _record_from_obj(obj, path, row, f"{path.stem}:{row}")
            except InputError as exc:
                log.add(exc)


def _text_records(path: Path, article_id: str, unit: str, max_bytes: int) -> Iterator[Record]:
    text = read_text(path, max_bytes=max_bytes)
    yield from _plain_records(text, article_id, str(path), unit)


def _plain_records(text: str, article_id: str, where: str, unit: str) -> Iterator[Record]:
    if unit == "article":
        yield Record(article_id, text, where)
        return
    for lineno, line in enumerate(text.splitlines(), start=1):  # --unit sentence: one sentence a line
        if line.strip():
            yield Record(article_id, line, f"{where}:{lineno}")


def _stdin_records(stream: IO[bytes], unit: str, max_bytes: int, log: ErrorLog) -> Iterator[Record]:
    """JSONL if the first non-blank line is a JSON object, else the whole stream is one plain-text article."""
    lines = _lines(stream, max_bytes)
    head: list[tuple[int, bytes | None]] = []
    is_jsonl = False
    for lineno, raw in lines:
        head.append((lineno, raw))
        if raw is None or not raw.strip():
            continue
        try:
            is_jsonl = isinstance(json.loads(raw.decode("utf-8-sig")), dict)
        except (UnicodeDecodeError, json.JSONDecodeError):
            is_jsonl = False
        break
    if is_jsonl:
        yield from _jsonl_records("<stdin>", [*head, *lines], "stdin", max_bytes, log)
        return
    data, size = [], 0
    for _, raw in [*head, *lines]:
        if raw is None or size + len(raw) > max_bytes:
            log.add(_too_big("<stdin>", max_bytes))
            return
        data.append(raw)
        size += len(raw)
    try:
        text = decode_text(b"".join(data), "<stdin>")
    except InputError as exc:
        log.add(exc)
        return
    if not text.strip():
        log.add(InputError("<stdin>", "empty input"))
        return
    yield from _plain_records(text, "stdin", "<stdin>", unit)


def _file_records(path: Path, article_id: str, unit: str, max_bytes: int, log: ErrorLog) -> Iterator[Record]:
    suffix = path.suffix.lower()
    if suffix in PARQUET_SUFFIXES:
        yield from _parquet_records(path, log)
        return
    if suffix in JSONL_SUFFIXES + CSV_SUFFIXES:
        _sniff(path)
        if suffix in CSV_SUFFIXES:
            yield from _csv_records(path, max_bytes, log)
        else:
            with path.open("rb") as fh:
                yield from _jsonl_records(path, _lines(fh, max_bytes), path.stem, max_bytes, log)
        return
    yield from _text_records(path, article_id, unit, max_bytes)


def folder_files(path: Path, log: ErrorLog) -> list[tuple[Path, str]]:
    """A folder's text files (recursive; hidden files and folders skipped), ids from their relative paths. Other
    files are not read (an earlier run's outputs often sit beside its inputs), but a warning names them so a feed is
    never dropped unseen."""
    found = sorted(p for p in path.rglob("*") if p.is_file()
                   and not any(part.startswith(".") for part in p.relative_to(path).parts))
    files = [p for p in found if p.suffix.lower() in TEXT_SUFFIXES]
    if not files:
        log.add(InputError(path, f"folder has no {' or '.join(TEXT_SUFFIXES)} files"))
    skipped = [p.relative_to(path).as_posix() for p in found if p.suffix.lower() not in TEXT_SUFFIXES]
    if skipped:
        shown = ", ".join(skipped[:SKIPPED_SHOWN]) + (f" and {len(skipped) - SKIPPED_SHOWN} more"
                                                      if len(skipped) > SKIPPED_SHOWN else "")
        log.add(InputError(path, f"{len(skipped)} file(s) not read: {shown} (a folder reads "
                                 f"{' and '.join(TEXT_SUFFIXES)} files; give JSONL, CSV or Parquet files by name)",
                           warning=True))
    return [(f, f.relative_to(path).with_suffix("").as_posix()) for f in files]


def _targets(item: str, log: ErrorLog) -> list[tuple[Path, str]]:
    """``(file, article id)`` of one input argument: a folder's text files, a regular file; the rest to ``log``."""
    path = Path(item)
    try:
        mode = path.stat().st_mode
    except OSError:
        log.add(InputError(path, "no such file or folder"))
        return []
    if stat.S_ISDIR(mode):
        return folder_files(path, log)
    if not stat.S_ISREG(mode):  # a FIFO or a device would block or never end: only "-" reads a stream
        log.add(InputError(path, not_a_file(mode)))
        return []
    return [(path, path.stem)]


class _Owners:
    """Which input file each article id came from: an id met again in another file is a warning naming both."""

    def __init__(self, log: ErrorLog) -> None:
        self.first: dict[str, str] = {}
        self.log = log

    def see(self, record: Record, source: str) -> Record:
        first = self.first.setdefault(record.article_id, source)
        if first != source and first != "":
            self.log.add(InputError(record.where, f"article id {record.article_id!r} is also used in {first}; rows "
                                                  "and briefs of both carry the same id", warning=True))
            self.first[record.article_id] = ""  # warned once per id
        return record


def iter_records(inputs: Iterable[str], unit: str = "article", max_bytes: int = DEFAULT_MAX_BYTES,
                 log: ErrorLog | None = None, stdin: IO[bytes] | None = None) -> Iterator[Record]:
    """Stream records from files, folders (recursive ``*.txt``, ``*.md``), JSONL, CSV, Parquet or ``-`` (stdin).

    Bad inputs and bad lines go to ``log`` as :class:`InputError` (FIFOs and devices too: only ``-`` reads a
    stream); an article id already met in another input is a warning; everything else is yielded, in input order.
    """
    log = log if log is not None else ErrorLog()
    owners = _Owners(log)
    for item in inputs:
        if item == STDIN:
            for rec in _stdin_records(stdin or sys.stdin.buffer, unit, max_bytes, log):
                yield owners.see(rec, "<stdin>")
            continue
        for f, article_id in _targets(item, log):
            try:
                for rec in _file_records(f, article_id, unit, max_bytes, log):
                    yield owners.see(rec, os.fspath(f))
            except InputError as exc:
                log.add(exc)
            except OSError as exc:
                log.add(InputError(f, f"cannot read: {exc.strerror or exc}"))


@dataclass
class Sentence:
    """A sentence to classify, with its place in its article (``group`` numbers articles in input order)."""

    group: int
    article_id: str
    sentence_index: int
    text: str
    title: str | None = None


def iter_sentences(records: Iterable[Record], unit: str, log: ErrorLog) -> Iterator[Sentence]:
    """Split each article (``article``) or take each record as one sentence (``sentence``, grouped by article id)."""
    group, last_id, index = -1, None, 0
    for rec in records:
        if unit == "article":
            notes: list[str] = []
            try:
                sentences = split_article(rec.text, notes)
            except Exception as exc:  # the splitter should never fail; if it does, name the article and go on
                log.add(InputError(rec.where, f"cannot split: {exc}"))
                continue
            for note in notes:  # a paragraph too long to split whole (bounded work): processed, and said so
                log.add(InputError(rec.where, note, warning=True))
            if not sentences:
                log.add(InputError(rec.where, "no sentences left after cleaning"))
                continue
            group += 1
            for i, s in enumerate(sentences):
                yield Sentence(group, rec.article_id, i, s, rec.title)
        else:
            if rec.article_id != last_id:
                group, last_id, index = group + 1, rec.article_id, 0
            text = " ".join(normalise(rec.text).split())
            yield Sentence(group, rec.article_id, rec.sentence_index if rec.sentence_index is not None else index,
                           text, rec.title)
            index += 1


def chunked(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    """Lists of at most ``size`` items."""
    chunk: list[Any] = []
    for item in items:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
