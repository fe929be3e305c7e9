"""``accord classify``: any pile of articles to labelled sentences, per-article briefs and an HTML report.

    accord classify seeds/*.txt --out models/seeds.jsonl --briefs models/briefs.jsonl --report models/report.html
    accord classify news/ more.jsonl table.csv - --format parquet --out labelled.parquet   # folders, JSONL, CSV, stdin

Inputs stream through :mod:`accord.batch.inputs`, sentences are scored in fixed-size chunks by a
:class:`~accord.classify.predictor.Predictor` (memory stays flat), rows go to a writer (:mod:`accord.batch.writers`)
and each finished article to its brief (:mod:`accord.batch.briefs`) and the page (:mod:`accord.batch.report`).
Every output is written through :func:`~accord.io.atomic_open`, so an interrupted run leaves none half-written.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import numpy as np

from accord import tracking
from accord.batch.briefs import (
    DEFAULT_SUMMARIES,
    SUMMARY_BATCH,
    SUMMARY_MODES,
    add_summaries,
    add_summaries_many,
    build_brief,
    format_brief,
)
from accord.batch.inputs import DEFAULT_MAX_BYTES, UNITS, ErrorLog, Sentence, chunked, iter_records, iter_sentences
from accord.batch.models import agreement_draws_problem, load_predictor, load_summariser, with_agreement_draws
from accord.batch.preflight import (
    Stop,
    WriteGuard,
    loaded_problem,
    model_problem,
    output_problem,
    produced,
    report_stop,
)
from accord.batch.progress import Phases, TimedModel, count_articles, progress_bar
from accord.batch.report import ReportWriter
from accord.batch.writers import FORMATS, infer_format, make_writer, output_row
from accord.classify.predictor import DEFAULT_PRECISION, DEFAULT_RUNTIME, Predictor, backend_problem
from accord.io import InputError, atomic_open, errors_path, json_line, terminal_safe, write_errors

ENGINES = ("local", "spark")
CHUNK = 2048  # sentences classified per call: enough to batch by length (2% padding), few enough for flat memory
NO_MODEL_HINT = "run `make run` or the training script (training/train_classifier.py) first"
NO_SUMMARISER_HINT = "register one with `make run` or the summariser training script under training/"
BROKEN_SUMMARISER_HINT = "nothing was written; fix or re-register it, or leave summaries out (--summaries none)"

Scorer = Callable[[list[str]], tuple[np.ndarray, list[list[str]]]]


@dataclass
class ClassifyOptions:
    """What ``accord classify`` was asked to do (its command-line options)."""

    inputs: list[str]
    out: Path | None = None
    fmt: str | None = None  # None: from the suffix of ``out``, else jsonl
    unit: str = "article"
    model_uri: str = tracking.CLASSIFIER_URI
    briefs: Path | None = None
    report: Path | None = None
    print_briefs: bool = False
    max_bytes: int = DEFAULT_MAX_BYTES
    runtime: str = DEFAULT_RUNTIME
    precision: str = DEFAULT_PRECISION
    summariser_uri: str = tracking.SUMMARISER_URI
    tracking_uri: str | None = None
    quiet: bool = False
    summaries: str = DEFAULT_SUMMARIES  # what briefs summarise: none, article or all (each category too)
    agreement_draws: int | None = None  # None: the summariser's own setting; 0: no agreement check (faster briefs)
    verbose: bool = False  # start-up and phase times on stderr
    progress: bool | None = None  # None: a progress bar on an interactive stderr without --quiet
    raw_csv: bool = False  # CSV cells as they are (else a cell a spreadsheet would run as a formula gets a ')
    trust_model: bool = False  # load --model from a path outside the project's store (a model is code)

    def wants_briefs(self) -> bool:
        return bool(self.briefs or self.report or self.print_briefs)

    def problem(self) -> str | None:
        """What is wrong with these options (a usage error), or None."""
        fmt = infer_format(self.out, self.fmt)
        if fmt not in FORMATS:
            return f"--format must be one of {FORMATS}, got {fmt!r}"
        if self.unit not in UNITS:
            return f"--unit must be one of {UNITS}, got {self.unit!r}"
        if fmt == "parquet" and self.out is None:
            return "--format parquet needs --out FILE"
        if self.print_briefs and self.out is None:
            return "--print-briefs needs --out (stdout carries the rows)"
        if self.summaries not in SUMMARY_MODES:
            return f"--summaries must be one of {SUMMARY_MODES}, got {self.summaries!r}"
        if self.max_bytes < 1:
            return f"--max-bytes must be at least 1, got {self.max_bytes}"
        return agreement_draws_problem(self.agreement_draws) or backend_problem(self.runtime, self.precision)

    def outputs(self) -> dict[str, Path | None]:
        """Every file the run writes, by the option that names it (checked before the run starts)."""
        return {"--out": self.out, "--briefs": self.briefs, "--report": self.report,
                "the errors file": errors_path(self.out) if self.out else None}

    def preflight(self) -> Stop | None:
        """What stops the run before anything loads (:mod:`accord.batch.preflight`), or None."""
        return (output_problem(self.outputs(), self.inputs)
                or model_problem(self.model_uri, self.tracking_uri, self.trust_model, "classifier", NO_MODEL_HINT))


@dataclass
class ClassifyResult:
    """What a batch run did."""

    articles: int = 0
    sentences: int = 0
    briefs: int = 0
    errors: list[InputError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


class _Articles:
    """Regroups classified rows by article as chunks stream past; hands each finished article to ``on_article``."""

    def __init__(self, on_article: Callable[[Sentence, list[dict[str, Any]]], None]) -> None:
        self.on_article = on_article
        self.first: Sentence | None = None
        self.rows: list[dict[str, Any]] = []

    def feed(self, sentences: list[Sentence], rows: list[dict[str, Any]]) -> None:
        for s, row in zip(sentences, rows, strict=True):
            if self.first is not None and s.group != self.first.group:
                self.flush()
            if self.first is None:
                self.first = s
            self.rows.append(row)

    def flush(self) -> None:
        if self.first is not None:
            self.on_article(self.first, self.rows)
        self.first, self.rows = None, []


@dataclass
class BriefSinks:
    """Where finished articles go: briefs (JSONL), the HTML page, readable briefs; and the summariser, if any."""

    briefs: IO[str] | None = None
    report: ReportWriter | None = None
    printed: IO[str] | None = None
    summariser: Any = None
    summaries: str = "all"  # what add_summaries fills: the article's summary, or each category's too
    pending: list[tuple[Sentence, list[dict[str, Any]], dict[str, Any]]] = field(default_factory=list)

    def wanted(self) -> bool:
        return self.briefs is not None or self.report is not None or self.printed is not None

    def article(self, first: Sentence, rows: list[dict[str, Any]], result: ClassifyResult) -> None:
        """Build the article's brief; briefs go out (in order) once SUMMARY_BATCH articles wait for summaries."""
        self.pending.append((first, rows, build_brief(first.article_id, first.title, rows)))
        if self.summariser is None or len(self.pending) >= SUMMARY_BATCH:
            self.flush(result)

    def flush(self, result: ClassifyResult) -> None:
        """Summarise the waiting articles in one call (one by one if that fails) and send their briefs out."""
        pending, self.pending = self.pending, []
        if self.summariser is not None and pending:
            try:
                add_summaries_many([(brief, rows) for _, rows, brief in pending], self.summariser, self.summaries)
            except Exception:  # a summariser failure must not lose the briefs: retry each, name the ones that fail
                for first, rows, brief in pending:
                    try:
                        add_summaries(brief, rows, self.summariser, self.summaries)
                    except Exception as exc:
                        result.warnings.append(f"{first.article_id}: summariser failed ({exc}); brief has no "
                                               "summaries")
        for _, rows, brief in pending:
            self._send(brief, rows, result)

    def _send(self, brief: dict[str, Any], rows: list[dict[str, Any]], result: ClassifyResult) -> None:
        if self.briefs is not None:
            self.briefs.write(json_line(brief))
        if self.report is not None:
            self.report.article(brief, rows)
        if self.printed is not None:
            self.printed.write(terminal_safe(format_brief(brief)) + "\n")  # article text: no escapes reach a tty
        result.briefs += 1


def classify(inputs: list[str], predictor: Scorer, out: IO[Any], fmt: str = "jsonl", unit: str = "article",
             sinks: BriefSinks | None = None, max_bytes: int = DEFAULT_MAX_BYTES, log: ErrorLog | None = None,
             stdin: IO[bytes] | None = None, progress: bool = False, chunk: int | None = None,
             phases: Phases | None = None, raw_csv: bool = False) -> ClassifyResult:
    """Stream ``inputs`` through ``predictor`` in chunks, writing rows to ``out`` and briefs as articles end; the
    progress bar counts articles (with an ETA) where briefs are written, else sentences."""
    log = log if log is not None else ErrorLog()
    sinks, phases = sinks or BriefSinks(), phases or Phases()
    result = ClassifyResult(errors=log.errors)
    writer = make_writer(fmt, out, raw_csv)
    briefs = sinks.wanted()
    total = phases.timed("count articles", count_articles)(inputs, unit, max_bytes) if progress and briefs else None
    bar, brief = progress_bar(progress, briefs, total), phases.timed("briefs", sinks.article)

    def on_article(first: Sentence, rows: list[dict[str, Any]]) -> None:
        result.articles += 1
        if briefs:
            brief(first, rows, result)
            bar.update(1)
        phases.article_done()

    articles = _Articles(on_article)
    sentences = iter_sentences(iter_records(inputs, unit, max_bytes, log, stdin), unit, log)
    predict, write = phases.timed("classify", predictor), phases.timed("write", writer.write)
    with bar:
        for batch in phases.timed_iter("read and split", chunked(sentences, chunk or CHUNK)):
            probs, labels = predict([s.text for s in batch])
            rows = [output_row(s, p, lab) for s, p, lab in zip(batch, probs, labels, strict=True)]
            write(rows)
            articles.feed(batch, rows)
            result.sentences += len(rows)
            bar.update(0 if briefs else len(rows))
        articles.flush()
        if briefs:
            phases.timed("briefs", sinks.flush)(result)
    writer.close()
    if sinks.report is not None:
        sinks.report.close()
    return result


def progress_enabled(quiet: bool) -> bool:
    """Progress bar only on an interactive stderr and without ``--quiet``."""
    return not quiet and sys.stderr.isatty()


def _load_models(opts: ClassifyOptions, err: Callable[[str], None], phases: Phases) -> tuple[Predictor | None, Any]:
    """The predictor (None: cannot run) and the summariser (None: briefs without summaries, with a warning, where
    none is registered, or ``--summaries none``), both through the local model cache. A registered summariser that
    cannot load stops the run (None, None): briefs were asked with summaries."""
    try:
        predictor = load_predictor(opts.model_uri, opts.tracking_uri, opts.runtime, opts.precision, phases)
    except tracking.ModelNotFound as exc:
        err(f"error: {exc}")
        err(f"error: no classifier to run; {NO_MODEL_HINT}")
        return None, None
    summariser = None
    if opts.wants_briefs() and opts.summaries != "none":
        try:
            loaded = with_agreement_draws(load_summariser(opts.summariser_uri, opts.tracking_uri, phases),
                                          opts.agreement_draws)
            summariser = TimedModel(loaded, phases, "summaries")
        except tracking.ModelBroken as exc:
            err(f"error: {exc}")
            err(f"error: the summariser cannot load; {BROKEN_SUMMARISER_HINT}")
            return None, None
        except tracking.ModelNotFound as exc:
            err(f"warning: {exc}")
            err(f"warning: briefs are written without summaries; {NO_SUMMARISER_HINT}")
    return predictor, summariser


def run(opts: ClassifyOptions, err: Callable[[str], None] | None = None, stdout: IO[str] | None = None,
        stdin: IO[bytes] | None = None) -> int:
    """``accord classify`` (local engine): returns the exit code (0 ok, 1 anything failed, 2 bad usage)."""
    err = err or (lambda m: print(m, file=sys.stderr))
    stdout = stdout or sys.stdout
    problem = opts.problem()
    if problem:
        err(f"error: {problem}")
        return 2
    stop = opts.preflight()
    if stop:
        return report_stop(stop, err)
    phases = Phases()
    predictor, summariser = _load_models(opts, err, phases)
    if predictor is None:
        return 1
    stop = loaded_problem(predictor, opts.model_uri, "classifier")
    if stop:
        return report_stop(stop, err)
    fmt = infer_format(opts.out, opts.fmt)
    log = ErrorLog(lambda e: err(f"error: {e}"), lambda w: err(f"warning: {w}"))
    done: list[ClassifyResult] = []  # the result, once the run got through: only then are outputs replaced

    def commit() -> bool:
        return produced(done[0] if done else None, log.errors)

    with contextlib.ExitStack() as stack:
        guard = stack.enter_context(WriteGuard(opts.outputs().values()))
        out_fh = stack.enter_context(atomic_open(opts.out, "wb" if fmt == "parquet" else "w", commit=commit)) \
            if opts.out else stdout
        sinks = BriefSinks(stack.enter_context(atomic_open(opts.briefs, commit=commit)) if opts.briefs else None,
                           ReportWriter(stack.enter_context(atomic_open(opts.report, commit=commit)))
                           if opts.report else None,
                           stdout if opts.print_briefs else None, summariser, opts.summaries)
        progress = progress_enabled(opts.quiet) if opts.progress is None else opts.progress
        result = classify(opts.inputs, predictor, out_fh, fmt, opts.unit, sinks, opts.max_bytes, log, stdin,
                          progress, phases=phases, raw_csv=opts.raw_csv)
        done.append(result)
        if opts.out:
            write_errors(opts.out, log.errors, log.warnings)
    if guard.failure is not None:
        return report_stop((1, str(guard.failure)), err)
    for w in result.warnings:
        err(f"warning: {w}")
    if not opts.quiet:
        err(_summary_line(opts, result, log))
    if opts.verbose:
        for line in phases.report():
            err(line)
    return 1 if log.errors else 0


def _summary_line(opts: ClassifyOptions, result: ClassifyResult, log: ErrorLog) -> str:
    where = f" to {opts.out}" if opts.out else ""
    line = f"classified {result.sentences} sentences of {result.articles} articles{where}"
    if opts.wants_briefs():
        line += f"; {result.briefs} briefs"
    if log.errors:
        line += f"; {len(log.errors)} input error(s)" + (f", listed in {errors_path(opts.out)}" if opts.out else "")
    if opts.out and not produced(result, log.errors):
        line += f"; nothing to write, so {opts.out} and the other outputs were left as they were"
    return line
