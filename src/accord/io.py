"""Safe file I/O: input errors that name the file and line, JSONL reading that keeps going, safe outputs.

Every reader here raises or collects :class:`InputError`, never a raw traceback, so commands can name the bad
file (and line), process the rest and exit non-zero. Outputs are the one place that decides what may be written:
:func:`check_outputs` refuses, before a run starts, an output that is an input, another output, a folder, a device
or not writable; writers go through a hidden temp file and ``os.replace`` (the file's old mode kept, else the
umask's), temp files are removed on SIGTERM and swept at the next write when a killed run left them.
"""

from __future__ import annotations

import codecs
import contextlib
import json
import os
import re
import shutil
import signal
import stat
import tempfile
import threading
import time
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import IO, Any

STALE_TEMP_S = 3600  # a hidden temp file of an output older than this was left by a killed run: swept at next write
OUTPUT_MARKER = ".accord-output"  # in every output folder Accord writes; only a folder holding it is ever replaced
# Byte-order marks of the UTF-16/32 encodings (UTF-32 first: its little-endian BOM starts with UTF-16's)
_BOMS = ((codecs.BOM_UTF32_LE, "utf-32", "UTF-32"), (codecs.BOM_UTF32_BE, "utf-32", "UTF-32"),
         (codecs.BOM_UTF16_LE, "utf-16", "UTF-16"), (codecs.BOM_UTF16_BE, "utf-16", "UTF-16"))
# OWASP CSV injection: a cell starting with one of these runs as a formula in a spreadsheet; it gets a ' in front
CSV_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Terminal escape sequences (CSI, OSC, other ESC pairs, 8-bit CSI) and characters that move or re-order what a
# terminal shows: C0/C1 controls other than tab and newline, bidi embeddings/overrides and isolates
_ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-_]?|\x9b[0-?]*[ -/]*[@-~]")
_UNSAFE_CHARS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


class InputError(Exception):
    """Bad input: carries the file, the line (1-based, if known) and what is wrong; ``warning``: processed anyway."""

    def __init__(self, path: str | os.PathLike[str], message: str, line: int | None = None,
                 warning: bool = False) -> None:
        self.path = str(path)
        self.line = line
        self.message = message
        self.warning = warning
        where = f"{self.path}:{line}" if line is not None else self.path
        super().__init__(f"{where}: {message}")

    def to_dict(self) -> dict[str, Any]:
        return {"file": self.path, "line": self.line, "error": self.message} | ({"warning": True} if self.warning
                                                                                else {})


class OutputError(Exception):
    """An output that must not or cannot be written: names it and what to do; ``usage``: a command-line mistake
    (exit 2), else a failure of the disk or the system (exit 1)."""

    def __init__(self, path: str | os.PathLike[str], message: str, usage: bool = False) -> None:
        self.path = str(path)
        self.message = message
        self.usage = usage
        super().__init__(f"{self.path}: {message}")


def _line_of(data: bytes, offset: int) -> tuple[int, int]:
    """1-based line and column of a byte offset."""
    line = data.count(b"\n", 0, offset) + 1
    column = offset - (data.rfind(b"\n", 0, offset) + 1) + 1
    return line, column


def bom_encoding(head: bytes) -> tuple[str, str] | None:
    """``(codec, name)`` of a UTF-16/32 byte-order mark at the start of ``head``, else None."""
    for bom, codec, name in _BOMS:
        if head.startswith(bom):
            return codec, name
    return None


def line_encoding_error(path: str | os.PathLike[str], head: bytes, kind: str) -> InputError | None:
    """The error for a ``kind`` file (JSONL, CSV: read line by line as UTF-8) that starts with a UTF-16/32 BOM."""
    wide = bom_encoding(head)
    if wide is None:
        return None
    return InputError(path, f"is {wide[1]} text (byte-order mark); {kind} is read as UTF-8: re-save it as UTF-8")


def decode_text(data: bytes, path: str | os.PathLike[str], whole: bool = True) -> str:
    """Decode UTF-8 bytes (BOM allowed), or a whole file's UTF-16/32 with a BOM, to NFC text; binary or undecodable
    data raises :class:`InputError`. ``whole=False``: a line of a file, where a BOM cannot be."""
    wide = bom_encoding(data[:4]) if whole else None
    if wide is not None:
        with contextlib.suppress(UnicodeDecodeError):  # bytes that only look like a BOM: checked as below
            return unicodedata.normalize("NFC", data.decode(wide[0]))
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
        st = p.stat()
        size = st.st_size
        if stat.S_ISDIR(st.st_mode):
            raise InputError(p, "is a folder, not a file")
        if not stat.S_ISREG(st.st_mode):
            raise InputError(p, not_a_file(st.st_mode))
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


def not_a_file(mode: int) -> str:
    """What is wrong with reading a path of this ``st_mode`` that is not a regular file (it could block forever)."""
    kind = ("a named pipe (FIFO)" if stat.S_ISFIFO(mode) else "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode)
            else "a socket" if stat.S_ISSOCK(mode) else "not a regular file")
    return f"is {kind}, not a file; to read a stream, pipe it in and pass - instead"


def parse_json_object(raw: bytes, path: str | os.PathLike[str], line: int) -> dict[str, Any]:
    """One JSONL line as a dict; non-UTF-8, malformed or non-object lines raise InputError naming file and line."""
    try:
        text = decode_text(raw, path, whole=False)
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
        wide = line_encoding_error(p, fh.read(4), "JSONL")
        if wide is not None:
            errors.append(wide)
            return
        fh.seek(0)
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
def atomic_open(path: str | os.PathLike[str], mode: str = "w", encoding: str | None = "utf-8",
                commit: Callable[[], bool] | None = None) -> Iterator[IO[Any]]:
    """Open a hidden temp file next to ``path``; on success rename it over ``path``, on any error remove it.

    The file gets the mode the old ``path`` had, else the umask's (not ``mkstemp``'s 0600). ``commit`` returning
    False at the end drops the new file and keeps the old ``path`` (a run that produced nothing overwrites nothing).
    Temp files older than :data:`STALE_TEMP_S` that a killed run left beside ``path`` are swept first.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    sweep_stale_temps(target)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    with _live(Path(tmp)):
        try:
            with os.fdopen(fd, mode, encoding=None if "b" in mode else encoding) as fh:
                os.fchmod(fh.fileno(), _output_mode(target))
                yield fh
                fh.flush()
                os.fsync(fh.fileno())
            if commit is None or commit():
                os.replace(tmp, target)
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)


@contextlib.contextmanager
def temp_dir_beside(target: str | os.PathLike[str]) -> Iterator[Path]:
    """A hidden temp folder beside ``target`` (same disk, so it can be renamed into place), removed on exit and on
    SIGTERM; stale ones of ``target`` are swept first."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    sweep_stale_temps(target)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent))
    with _live(tmp):
        try:
            yield tmp
        finally:
            _remove(tmp)


def _output_mode(target: Path) -> int:
    """The permission bits of a new output: the old file's, else what the umask allows (as ``open`` would)."""
    with contextlib.suppress(FileNotFoundError):
        return stat.S_IMODE(target.stat().st_mode)
    mask = os.umask(0o022)
    os.umask(mask)
    return 0o666 & ~mask


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        with contextlib.suppress(OSError):
            path.unlink()


def sweep_stale_temps(target: str | os.PathLike[str], max_age_s: float = STALE_TEMP_S) -> list[Path]:
    """Remove the hidden temp files/folders of ``target`` (``.NAME.XXXXXXXX.tmp``) older than ``max_age_s``: what a
    killed run (``kill -9``, power loss) left. Younger ones may be another run's, still writing. Returns those."""
    target = Path(target)
    pattern = re.compile(re.escape(f".{target.name}.") + r"[a-z0-9_]{8}\.tmp")
    swept = []
    with contextlib.suppress(OSError):
        for entry in os.scandir(target.parent):
            path = Path(entry.path)
            if pattern.fullmatch(entry.name) and path not in _LIVE and \
                    time.time() - entry.stat(follow_symlinks=False).st_mtime > max_age_s:
                _remove(path)
                swept.append(path)
    return swept


# ---------------------------------------------------------------------------------------------------- SIGTERM

_LIVE: set[Path] = set()  # temp files and folders being written now: removed if the process is terminated


def _on_sigterm(signum: int, frame: Any) -> None:
    """Remove the temp files being written, then exit as a terminated process does (143); ``finally`` blocks run."""
    for path in list(_LIVE):
        _remove(path)
    raise SystemExit(128 + signum)


def _main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


@contextlib.contextmanager
def _live(path: Path) -> Iterator[None]:
    """Track ``path`` while it is written; the SIGTERM handler is in place while anything is tracked (where the
    process had the default one)."""
    if not _LIVE and _main_thread() and signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
        signal.signal(signal.SIGTERM, _on_sigterm)
    _LIVE.add(path)
    try:
        yield
    finally:
        _LIVE.discard(path)
        if not _LIVE and _main_thread() and signal.getsignal(signal.SIGTERM) is _on_sigterm:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)


def write_text_atomic(path: str | os.PathLike[str], text: str) -> None:
    """Write ``text`` to ``path`` atomically."""
    with atomic_open(path) as fh:
        fh.write(text)


def write_jsonl_atomic(path: str | os.PathLike[str], rows: list[dict[str, Any]]) -> None:
    """Write rows as JSON Lines (UTF-8, non-ASCII kept) atomically."""
    with atomic_open(path) as fh:
        for row in rows:
            fh.write(json_line(row))


def errors_path(out: str | os.PathLike[str]) -> Path:
    """Where the input errors of a run writing ``out`` go: ``<out>.errors.jsonl``."""
    return Path(f"{out}.errors.jsonl")


def write_errors(out: str | os.PathLike[str], errors: list[InputError], warnings: Iterable[InputError] = ()) -> Path:
    """Write ``errors`` and ``warnings`` (one JSON object each, warnings marked) beside ``out``, atomically; returns
    the file written."""
    path = errors_path(out)
    write_jsonl_atomic(path, [e.to_dict() for e in [*errors, *warnings]])
    return path


# ---------------------------------------------------------------------------------------------------- outputs


def _identity(path: Path) -> tuple[Any, ...]:
    """What makes two paths the same file: device and inode where it exists (hard links, symlinks), else the
    resolved path."""
    try:
        st = path.stat()
        return ("inode", st.st_dev, st.st_ino)
    except OSError:
        return ("path", os.path.realpath(path))


def _writable_folder(path: Path, option: str) -> None:
    """Raise OutputError unless a file can be created in the nearest existing folder above ``path`` (probed, so a
    read-only disk, a full quota or missing rights are found before the run, whoever runs it)."""
    folder = path.parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    if not folder.is_dir():
        raise OutputError(path, f"{folder} is a file, not a folder; choose another {option}", usage=True)
    try:
        fd, probe = tempfile.mkstemp(prefix=".accord-probe.", dir=folder)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise OutputError(path, f"cannot write in {folder} ({exc.strerror or exc}); choose another {option} or fix "
                                "the folder's permissions") from None


def _check_one(option: str, path: Path) -> None:
    """Raise OutputError for an output that is a folder, a device or pipe, read-only, or in an unwritable place."""
    if path.is_dir():
        raise OutputError(path, f"is a folder; {option} needs a file path (Accord does not write into folders it "
                                "did not make)", usage=True)
    if path.exists() or path.is_symlink():
        st = path.stat() if path.exists() else path.lstat()
        if not stat.S_ISREG(st.st_mode) and not stat.S_ISLNK(st.st_mode):
            raise OutputError(path, f"is not a regular file (a device or a pipe); Accord replaces its outputs, so "
                                    f"give {option} a file path (without --out, rows go to stdout)", usage=True)
        if not st.st_mode & 0o222:
            raise OutputError(path, f"is read-only (mode {stat.S_IMODE(st.st_mode):o}); make it writable or choose "
                                    f"another {option}")
    _writable_folder(path, option)


def check_outputs(outputs: dict[str, str | os.PathLike[str] | None], inputs: Iterable[str] = ()) -> None:
    """Refuse, before a run starts, outputs that would destroy something or fail late: raises OutputError for an
    output that is also an input, the same file as another output, a folder, a device, read-only or unwritable.

    ``outputs`` maps the option that names each output (``--out``, ``--briefs``, ``the errors file``) to its path.
    """
    taken = {_identity(Path(i)): ("input", i) for i in inputs if i != "-" and Path(i).exists()}
    for option, raw in outputs.items():
        if raw is None:
            continue
        path = Path(raw)
        if str(raw).startswith("-") and str(raw) != "-":  # `--briefs --out x`: the option took the next one's name
            raise OutputError(path, f"{option} got {str(raw)!r}, which looks like an option, not a file name; give "
                                    f"{option} a path (./{raw} for a file whose name starts with '-')", usage=True)
        kind, other = taken.get(_identity(path), (None, None))
        if kind == "input":
            raise OutputError(path, f"{option} is also an input ({other}); writing it would replace the input. "
                                    f"Choose another {option}", usage=True)
        if kind == "output":
            raise OutputError(path, f"{option} and {other} are the same file; give each output its own path",
                              usage=True)
        _check_one(option, path)
        taken[_identity(path)] = ("output", option)


def output_dir_problem(out: str | os.PathLike[str]) -> str | None:
    """Why the folder output ``out`` must not be written (replaced), or None: it is a file, or an existing folder
    with files that no earlier Accord run wrote (no :data:`OUTPUT_MARKER`)."""
    path = Path(out)
    if not path.exists() and not path.is_symlink():
        return None
    if not path.is_dir() or path.is_symlink():
        return "exists and is not a folder; give a new folder path (its contents are replaced on every run)"
    if any(path.iterdir()) and not (path / OUTPUT_MARKER).is_file():
        return (f"is an existing folder that no earlier Accord run wrote (no {OUTPUT_MARKER} marker); its contents "
                "would be replaced, so give a new folder path or empty it yourself")
    return None


def mark_output_dir(folder: str | os.PathLike[str]) -> None:
    """Mark ``folder`` as an Accord output: a later run may replace it."""
    (Path(folder) / OUTPUT_MARKER).write_text("written by accord; replaced by the next run with this output\n",
                                              encoding="utf-8")


def csv_safe(value: str) -> str:
    """``value`` with a ``'`` in front when a spreadsheet would read it as a formula (OWASP CSV injection rule); a
    value that already reads like a neutralised one gets one more, so :func:`csv_unsafe` gives it back exactly."""
    risky = value.startswith(CSV_FORMULA_STARTS) or (value.startswith("'") and csv_safe(value[1:]) != value[1:])
    return "'" + value if risky else value


def csv_unsafe(value: str) -> str:
    """The value :func:`csv_safe` was given (a sheet read back)."""
    return value[1:] if value.startswith("'") and csv_safe(value[1:]) == value else value


def terminal_safe(text: str) -> str:
    """``text`` without escape sequences, control characters (tab and newline kept) or bidi overrides: article text
    echoed to a terminal cannot recolour, move the cursor, retitle the window or reverse what is shown."""
    return _UNSAFE_CHARS.sub("", _ANSI.sub("", text))


def json_line(obj: Any) -> str:
    """``obj`` as one JSON line with the text kept readable (not ASCII-escaped) but every control or bidi character
    written as a ``\\uXXXX`` escape: the data is exact, and a row shown on a terminal cannot drive it."""
    text = json.dumps(obj, ensure_ascii=False)
    return _UNSAFE_CHARS.sub(lambda m: f"\\u{ord(m.group()):04x}", text) + "\n"


def write_failure(exc: OSError, outputs: Iterable[str | os.PathLike[str] | None]) -> OutputError:
    """A one-line OutputError for an OSError met while writing: names the file where the error does, else the
    outputs being written, and says what to do (the old outputs are kept: writes go through temp files)."""
    import errno

    names = [str(p) for p in outputs if p is not None]
    where = exc.filename or (names[0] if len(names) == 1 else ", ".join(names) or "the output")
    space, rights = "free some space or write elsewhere", "write elsewhere or fix the permissions"
    hint = {errno.ENOSPC: space, errno.EDQUOT: space, errno.EROFS: "write elsewhere", errno.EACCES: rights,
            errno.EPERM: rights}.get(exc.errno or 0, "write elsewhere")
    reason = exc.strerror or str(exc) or type(exc).__name__
    return OutputError(where, f"cannot write ({reason}); {hint}. Earlier outputs were left as they were")
