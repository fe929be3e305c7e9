"""``accord summarise``: one ``{"id", "summary"}`` JSON line per article from the registered summariser."""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO

from accord import tracking
from accord.batch.classify import NO_SUMMARISER_HINT, progress_enabled
from accord.batch.inputs import DEFAULT_MAX_BYTES, JSONL_SUFFIXES, ErrorLog, chunked, iter_records
from accord.batch.models import load_summariser
from accord.batch.progress import Phases
from accord.io import InputError, atomic_open, iter_jsonl, write_errors


def iter_documents(inputs: list[str], text_field: str, max_bytes: int, log: ErrorLog) -> Iterator[tuple[str, str]]:
    """``(id, text)`` per article: ``.txt``/``.md`` files and folders (one article each) or JSONL records
    (``text_field``; ``id`` kept). Bad inputs go to ``log``."""
    for item in inputs:
        path = Path(item)
        if path.is_file() and path.suffix.lower() in JSONL_SUFFIXES:
            errors: list[InputError] = []
            for line, obj in iter_jsonl(path, errors):
                text = obj.get(text_field)
                if not isinstance(text, str) or not text.strip():
                    log.add(InputError(path, f"record needs a non-empty string {text_field!r}", line))
                    continue
                yield str(obj.get("id", f"{path.stem}:{line}")), text
            for e in errors:
                log.add(e)
            continue
        for record in iter_records([item], "article", max_bytes, log):
            yield record.article_id, record.text


def run(inputs: list[str], out: Path | None = None, model_uri: str = tracking.SUMMARISER_URI,
        text_field: str = "text", max_bytes: int = DEFAULT_MAX_BYTES, quiet: bool = False,
        tracking_uri: str | None = None, err: Callable[[str], None] | None = None, stdout: IO[str] | None = None,
        batch_size: int = 8, verbose: bool = False) -> int:
    """``accord summarise``: one ``{"id", "summary"}`` row per article; returns the exit code (``verbose``: start-up
    and phase times on stderr)."""
    err = err or (lambda m: print(m, file=sys.stderr))
    phases = Phases()
    try:
        model = load_summariser(model_uri, tracking_uri, phases)
    except tracking.ModelNotFound as exc:
        err(f"error: {exc}")
        err(f"error: no summariser to run; {NO_SUMMARISER_HINT}")
        return 1
    from tqdm import tqdm

    log = ErrorLog(lambda e: err(f"error: {e}"))
    done = 0
    with contextlib.ExitStack() as stack:
        fh = stack.enter_context(atomic_open(out)) if out else (stdout or sys.stdout)
        bar = stack.enter_context(tqdm(unit="article", disable=not progress_enabled(quiet), file=sys.stderr))
        documents = chunked(iter_documents(inputs, text_field, max_bytes, log), batch_size)
        for chunk in phases.timed_iter("read", documents):
            with phases.phase("summarise"):
                summaries = list(model.predict([text for _, text in chunk])["summary"])
            fh.write("".join(json.dumps({"id": doc_id, "summary": summary}, ensure_ascii=False) + "\n"
                             for (doc_id, _), summary in zip(chunk, summaries, strict=True)))
            phases.article_done()
            done += len(chunk)
            bar.update(len(chunk))
        if out:
            write_errors(out, log.errors)
    if not quiet:
        err(f"summarised {done} articles" + (f" to {out}" if out else "")
            + (f"; {len(log.errors)} input error(s)" if log.errors else ""))
    if verbose:
        for line in phases.report():
            err(line)
    return 1 if log.errors else 0
