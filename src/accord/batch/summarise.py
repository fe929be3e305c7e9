"""``accord summarise``: one ``{"id", "summary", "problems"}`` JSON line per article from the registered summariser.

Every summary is written, and ``problems`` says why a brief would not show it (the soundness checks, and with
``agreement_draws`` the summariser's own draws: :func:`accord.summarise.guard.brief_problems`), so a reader of raw
summaries sees the same warnings a brief acts on."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

from accord import tracking
from accord.batch.classify import NO_SUMMARISER_HINT, progress_enabled
from accord.batch.inputs import DEFAULT_MAX_BYTES, JSONL_SUFFIXES, ErrorLog, chunked, iter_records
from accord.batch.models import SUMMARY_CALL, agreement_draws_problem, load_summariser, with_agreement_draws
from accord.batch.preflight import WriteGuard, loaded_problem, model_problem, output_problem, report_stop
from accord.batch.progress import Phases
from accord.io import InputError, atomic_open, errors_path, iter_jsonl, json_line, write_errors
from accord.summarise.guard import brief_problems
from accord.text import without_furniture_lines


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


def _start(inputs: list[str], out: Path | None, model_uri: str, max_bytes: int, tracking_uri: str | None,
           trust_model: bool, err: Callable[[str], None], phases: Phases, agreement_draws: int = 0
           ) -> tuple[Any, int | None]:
    """The summariser, or None and the exit code of what stopped the run before it started (checked before the
    model loads: :mod:`accord.batch.preflight`)."""
    if max_bytes < 1:
        return None, report_stop((2, f"--max-bytes must be at least 1, got {max_bytes}"), err)
    problem = agreement_draws_problem(agreement_draws)
    if problem:
        return None, report_stop((2, problem), err)
    stop = output_problem({"--out": out, "the errors file": errors_path(out) if out else None}, inputs) or \
        model_problem(model_uri, tracking_uri, trust_model, "summariser", NO_SUMMARISER_HINT)
    if stop:
        return None, report_stop(stop, err)
    try:
        model = load_summariser(model_uri, tracking_uri, phases)
    except tracking.ModelNotFound as exc:
        return None, report_stop((1, f"{exc}\nno summariser to run; {NO_SUMMARISER_HINT}"), err)
    stop = loaded_problem(model, model_uri, "summariser")
    if stop:
        return None, report_stop(stop, err)
    if agreement_draws and getattr(model, "saved_agreement_draws", None) is None:
        err(f"warning: {model_uri} has no agreement check (not an accord summariser); --agreement-draws is ignored "
            "and its summaries get the soundness checks only")
    return with_agreement_draws(model, agreement_draws), None


def summarise_chunk(model: Any, chunk: list[tuple[str, str]], phases: Phases) -> list[dict[str, Any]]:
    """The output rows of ``(id, text)`` documents: each summary with the reasons a brief would not show it. Lines
    of page furniture are not read, as in briefs (docs/batch.md)."""
    documents = [without_furniture_lines(text) for _, text in chunk]
    with phases.phase("summarise"):
        summaries = [str(s) for s in model.predict(documents)["summary"]]
    with phases.phase("checks"):
        problems = brief_problems(model, documents, summaries)
    return [{"id": doc_id, "summary": summary, "problems": found}
            for (doc_id, _), summary, found in zip(chunk, summaries, problems, strict=True)]


def run(inputs: list[str], out: Path | None = None, model_uri: str = tracking.SUMMARISER_URI,
        text_field: str = "text", max_bytes: int = DEFAULT_MAX_BYTES, quiet: bool = False,
        tracking_uri: str | None = None, err: Callable[[str], None] | None = None, stdout: IO[str] | None = None,
        batch_size: int = SUMMARY_CALL, verbose: bool = False, trust_model: bool = False,
        agreement_draws: int = 0) -> int:
    """``accord summarise``: one ``{"id", "summary", "problems"}`` row per article; returns the exit code
    (``verbose``: start-up and phase times on stderr). A run where every input failed leaves an earlier ``out`` as
    it was. ``agreement_draws`` (0: the soundness checks only) also checks each summary the checks pass against
    that many draws, as briefs do, at about that many times the decoding cost."""
    err = err or (lambda m: print(m, file=sys.stderr))
    phases = Phases()
    model, code = _start(inputs, out, model_uri, max_bytes, tracking_uri, trust_model, err, phases, agreement_draws)
    if code is not None:
        return code
    from tqdm import tqdm

    log = ErrorLog(lambda e: err(f"error: {e}"), lambda w: err(f"warning: {w}"))
    done = flagged = 0
    with contextlib.ExitStack() as stack:
        guard = stack.enter_context(WriteGuard([out, errors_path(out) if out else None]))
        fh = stack.enter_context(atomic_open(out, commit=lambda: bool(done) or not log.errors)) if out \
            else (stdout or sys.stdout)
        bar = stack.enter_context(tqdm(unit="article", disable=not progress_enabled(quiet), file=sys.stderr))
        documents = chunked(iter_documents(inputs, text_field, max_bytes, log), batch_size)
        for chunk in phases.timed_iter("read", documents):
            rows = summarise_chunk(model, chunk, phases)
            fh.write("".join(json_line(row) for row in rows))
            flagged += sum(bool(row["problems"]) for row in rows)
            phases.article_done()
            done += len(chunk)
            bar.update(len(chunk))
        if out:
            write_errors(out, log.errors, log.warnings)
    if guard.failure is not None:
        return report_stop((1, str(guard.failure)), err)
    if not quiet:
        err(f"summarised {done} articles" + (f" to {out}" if out else "") + f"; {flagged} with problems"
            + (f"; {len(log.errors)} input error(s)" if log.errors else ""))
    if verbose:
        for line in phases.report():
            err(line)
    return 1 if log.errors else 0
