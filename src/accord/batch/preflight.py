"""What stops a batch run before it starts, and what keeps a failing one from destroying anything.

Checked before any model loads or any input is read, so a mistake costs a second, not a run: the model URI (web
addresses refused, paths outside the store only with ``--trust-model``, a summariser where a classifier is wanted),
the tracking store (missing, locked, damaged) and every output (:func:`accord.io.check_outputs`). Each problem is a
:data:`Stop`: the exit code (2 usage, 1 anything else) and one ``error: ...`` line per message line. While a run
writes, :class:`WriteGuard` turns a disk failure (disk full, read-only) into one such line; the temp files are
already gone and the earlier outputs untouched by then.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from types import TracebackType
from typing import Any

from accord import storage, tracking
from accord.io import OutputError, check_outputs, write_failure

Stop = tuple[int, str]  # (exit code, message: one "error: ..." line per line)
USAGE, FAILED = 2, 1  # exit codes: a command-line mistake; anything else that stopped the run


def model_problem(uri: str, tracking_uri: str | None, trusted: bool, kind: str, hint: str) -> Stop | None:
    """Why the ``kind`` model (classifier, summariser) at ``uri`` cannot be used, found without loading it."""
    problem = storage.model_uri_problem(uri, tracking_uri, trusted)
    if problem:
        return USAGE, problem
    found = tracking.model_kind(uri)
    if found is not None and found != kind:
        return USAGE, f"--model {uri} is a {found}, not a {kind}; pass a {kind}'s URI"
    store = storage.store_problem(tracking_uri) if uri.startswith(storage.STORE_SCHEMES) else None
    return (FAILED, f"{store}\nno {kind} to run; {hint}") if store else None


def loaded_problem(model: Any, uri: str, kind: str) -> Stop | None:
    """A loaded classifier that is really a summariser (registered under another name): refused before any input
    is read."""
    inner = getattr(getattr(model, "model", model), "unwrap_python_model", None)
    try:
        name = type(inner()).__name__ if callable(inner) else ""
    except Exception:  # not a python-function model: nothing to tell
        name = ""
    other = {"ClassifierModel": "classifier", "SummariserModel": "summariser"}.get(name)
    if other is not None and other != kind:
        return USAGE, f"--model {uri} is a {other}, not a {kind}; pass a {kind}'s URI"
    return None


def output_problem(outputs: dict[str, str | os.PathLike[str] | None], inputs: Iterable[str]) -> Stop | None:
    """What is wrong with the outputs of a run (:func:`accord.io.check_outputs`), as a Stop."""
    try:
        check_outputs(outputs, inputs)
    except OutputError as exc:
        return (USAGE if exc.usage else FAILED), str(exc)
    return None


def report_stop(stop: Stop, err: Callable[[str], None]) -> int:
    """Print the Stop's message as ``error:`` lines; returns its exit code."""
    for line in stop[1].splitlines():
        err(f"error: {line}")
    return stop[0]


class WriteGuard:
    """The outermost context of a run's writes: an ``OSError`` (disk full, read-only disk, no permission) is kept as
    :attr:`failure` (one line naming the file) instead of a traceback; the writes' own contexts, inside it, have
    removed their temp files and left the earlier outputs as they were."""

    def __init__(self, outputs: Iterable[str | os.PathLike[str] | None]) -> None:
        self.outputs = list(outputs)
        self.failure: OutputError | None = None

    def __enter__(self) -> WriteGuard:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
                 ) -> bool:
        if isinstance(exc, OutputError):
            self.failure = exc
        elif isinstance(exc, OSError):
            self.failure = write_failure(exc, self.outputs)
        return self.failure is not None


def produced(result: Any, errors: list[Any]) -> bool:
    """Whether a run's outputs should replace the earlier ones: it produced something, or nothing failed (an empty
    input is an empty output; a run where every input failed leaves the last good output in place)."""
    return result is not None and (bool(getattr(result, "sentences", 0) or getattr(result, "articles", 0))
                                   or not errors)
