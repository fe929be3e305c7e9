"""Batch classification: any pile of articles to labelled sentences, per-article briefs and an HTML report.

    accord classify seeds/*.txt --out models/seeds.jsonl --briefs models/briefs.jsonl --report models/report.html
    accord classify news/ more.jsonl table.csv - --format parquet --out labelled.parquet   # folders, JSONL, CSV, stdin

The library behind ``accord classify``: readers that stream every input kind and name each bad file (and line)
as an :class:`~accord.io.InputError`, a predictor over the registered pyfunc (length-sorted batches, fixed-size
chunks so memory stays flat), writers (JSONL, CSV, Parquet), briefs (counts, shares, top sentences and summaries per
category) and a self-contained HTML report. Every output is written through :func:`~accord.io.atomic_open`, so an
interrupted run leaves none half-written.
"""

from __future__ import annotations

import contextlib
import csv
import html
import json
import os
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import numpy as np

from accord import tracking
from accord.io import InputError, atomic_open, decode_text, iter_jsonl, parse_json_object
from accord.labels import LABELS, OTHER, from_multi_hot
from accord.onnx_classifier import PRECISIONS  # of a MiniLM classifier (accord classify --precision)

DEFAULT_MODEL = f"models:/{tracking.CLASSIFIER}@{tracking.CHAMPION}"
DEFAULT_SUMMARISER = f"models:/{tracking.SUMMARISER}@{tracking.CHAMPION}"
DEFAULT_MAX_BYTES = 100_000_000  # one article (a file, a JSONL line, a CSV row) over this is refused
FORMATS = ("jsonl", "csv", "parquet")
UNITS = ("article", "sentence")
ENGINES = ("local", "spark")
RUNTIMES = ("torch", "onnx")  # how a MiniLM classifier runs (accord classify --runtime)
# The fastest backend within 0.01 validation macro-F1 of torch fp32 (evaluation/reports/classify_benchmark.md)
DEFAULT_RUNTIME, DEFAULT_PRECISION = "onnx", "int8"
TEXT_SUFFIXES = (".txt", ".md")
JSONL_SUFFIXES = (".jsonl", ".ndjson", ".json")
CSV_SUFFIXES = (".csv",)
PARQUET_SUFFIXES = (".parquet",)
STDIN = "-"
CHUNK = 2048  # sentences classified per call: enough to batch by length (2% padding), few enough for flat memory
TOP_K = 3  # top sentences per category in a brief
NO_MODEL_HINT = "run `make run` or the training script (training/train_classifier.py) first"
NO_SUMMARISER_HINT = "register one with `make run` or the summariser training script under training/"
LABEL_COLOURS = {"trade": "#fde68a", "defence": "#fecaca", "technology": "#bfdbfe", "people_to_people": "#bbf7d0",
                 "visas": "#e9d5ff", OTHER: "#f3f4f6"}


class ModelNotFound(Exception):
    """The classifier URI cannot be loaded (usually: nothing registered yet)."""


class ErrorLog:
    """Collects input errors and reports each one as it happens (to stderr in the CLI)."""

    def __init__(self, on_error: Callable[[InputError], None] | None = None) -> None:
        self.errors: list[InputError] = []
        self.on_error = on_error

    def add(self, error: InputError) -> None:
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
    """Refuse empty and binary files before streaming them line by line."""
    with path.open("rb") as fh:
        head = fh.read(8192)
    if not head.strip():
        raise InputError(path, "empty file")
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
                yield decode_text(raw, path)
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
    for batch in pf.iter_batches(batch_size=CHUNK, columns=columns):
        for obj in batch.to_pylist():
            row += 1
            try:
                yield _record_from_obj(obj, path, row, f"{path.stem}:{row}")
            except InputError as exc:
                log.add(exc)


def _text_records(path: Path, article_id: str, unit: str, max_bytes: int) -> Iterator[Record]:
    from accord.io import read_text

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


def iter_records(inputs: Iterable[str], unit: str = "article", max_bytes: int = DEFAULT_MAX_BYTES,
                 log: ErrorLog | None = None, stdin: IO[bytes] | None = None) -> Iterator[Record]:
    """Stream records from files, folders (recursive ``*.txt``, ``*.md``), JSONL, CSV, Parquet or ``-`` (stdin).

    Bad inputs and bad lines go to ``log`` as :class:`InputError`; everything else is yielded, in input order.
    """
    log = log if log is not None else ErrorLog()
    for item in inputs:
        if item == STDIN:
            yield from _stdin_records(stdin or sys.stdin.buffer, unit, max_bytes, log)
            continue
        path = Path(item)
        if path.is_dir():
            files = sorted(p for p in path.rglob("*") if p.suffix.lower() in TEXT_SUFFIXES and p.is_file())
            if not files:
                log.add(InputError(path, f"folder has no {' or '.join(TEXT_SUFFIXES)} files"))
            targets = [(f, f.relative_to(path).with_suffix("").as_posix()) for f in files]
        elif path.exists():
            targets = [(path, path.stem)]
        else:
            log.add(InputError(path, "no such file or folder"))
            continue
        for f, article_id in targets:
            try:
                yield from _file_records(f, article_id, unit, max_bytes, log)
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
    from accord.text import normalise, split_article

    group, last_id, index = -1, None, 0
    for rec in records:
        if unit == "article":
            try:
                sentences = split_article(rec.text)
            except Exception as exc:  # the splitter should never fail; if it does, name the article and go on
                log.add(InputError(rec.where, f"cannot split: {exc}"))
                continue
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


# -------------------------------------------------------------------------------------------------- predictor


def machine_threads() -> int:
    """CPU cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


class Predictor:
    """Probabilities and label lists for a list of sentences from a registered classifier pyfunc.

    When the pyfunc wraps an accord MiniLM classifier, it runs on ``runtime`` at ``precision`` (see
    :data:`RUNTIMES`, :data:`PRECISIONS`): ``torch`` calls its ``predict_proba`` directly (length-sorted batches under
    ``torch.inference_mode``, no DataFrame round trip; ``int8``: dynamic quantisation of every Linear layer);
    ``onnx`` runs its ONNX export on ONNX Runtime (:mod:`accord.onnx_classifier`; exported once and cached in
    ``cache_dir``). Another accord classifier (TF-IDF) is called directly whatever the runtime; any other pyfunc goes
    through ``predict``.
    """

    def __init__(self, model: Any, runtime: str = DEFAULT_RUNTIME, precision: str = DEFAULT_PRECISION,
                 cache_dir: str | os.PathLike[str] | None = None) -> None:
        if runtime not in RUNTIMES:
            raise ValueError(f"runtime must be one of {RUNTIMES}, got {runtime!r}")
        if precision not in PRECISIONS:
            raise ValueError(f"precision must be one of {PRECISIONS}, got {precision!r}")
        self.model = model
        self.classifier: Any = None
        with contextlib.suppress(Exception):
            inner = model.unwrap_python_model()
            clf = getattr(inner, "classifier", None)
            if clf is not None and hasattr(clf, "predict_proba") and hasattr(clf, "thresholds"):
                self.classifier = clf
        self.scorer: Any = self.classifier
        self.backend = "pyfunc" if self.classifier is None else getattr(self.classifier, "family", "accord")
        if self.classifier is not None and getattr(self.classifier, "family", "") == "minilm":
            import torch

            if not self.classifier.config.threads:
                torch.set_num_threads(machine_threads())
            if runtime == "onnx":
                from accord.onnx_classifier import OnnxClassifier

                self.scorer = OnnxClassifier.from_classifier(self.classifier, precision, cache_dir)
            elif precision == "int8":
                self.classifier.model = quantize_linear(self.classifier.model)
            self.backend = f"minilm {runtime} {precision}"

    def __call__(self, texts: list[str]) -> tuple[np.ndarray, list[list[str]]]:
        if self.scorer is not None:
            probs = np.asarray(self.scorer.predict_proba(texts), dtype=float)
            return probs, [from_multi_hot(row >= self.scorer.thresholds) for row in probs]
        from accord.pyfunc import SCORE_COLUMNS

        df = self.model.predict(texts)
        return df[SCORE_COLUMNS].to_numpy(dtype=float), [list(x) for x in df["labels"]]


def quantize_linear(model: Any) -> Any:
    """int8 dynamic quantisation of every ``torch.nn.Linear`` (weights int8, activations quantised on the fly)."""
    import torch
    from torch.ao.quantization import quantize_dynamic

    return quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8).eval()


def load_pyfunc(uri: str, tracking_uri: str | None = None) -> Any:
    """Load a pyfunc model; raises :class:`ModelNotFound` with a hint when it is not there."""
    import mlflow
    from mlflow.exceptions import MlflowException

    mlflow.set_tracking_uri(tracking.tracking_uri(tracking_uri))
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    try:
        return mlflow.pyfunc.load_model(uri)
    except (MlflowException, OSError) as exc:
        message = getattr(exc, "message", None) or str(exc)
        raise ModelNotFound(f"cannot load {uri}: {message.splitlines()[0] if message else exc}") from None


# ---------------------------------------------------------------------------------------------------- writers


def output_row(s: Sentence, probs: np.ndarray, labels: list[str]) -> dict[str, Any]:
    """The output row of one sentence."""
    return {"article_id": s.article_id, "sentence_index": s.sentence_index, "text": s.text, "labels": labels,
            "scores": {name: round(float(p), 6) for name, p in zip(LABELS, probs, strict=True)}}


class JsonlWriter:
    """One JSON object a line, as :func:`output_row` makes it."""

    def __init__(self, fh: IO[str]) -> None:
        self.fh = fh

    def write(self, rows: list[dict[str, Any]]) -> None:
        self.fh.write("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))

    def close(self) -> None:
        self.fh.flush()


class CsvWriter:
    """``article_id, sentence_index, text, labels`` (``;``-separated, empty = other), ``score_<label>`` columns."""

    def __init__(self, fh: IO[str]) -> None:
        self.writer = csv.writer(fh, lineterminator="\n")
        self.writer.writerow(["article_id", "sentence_index", "text", "labels", *(f"score_{n}" for n in LABELS)])

    def write(self, rows: list[dict[str, Any]]) -> None:
        self.writer.writerows([r["article_id"], r["sentence_index"], r["text"], ";".join(r["labels"]),
                               *(r["scores"][n] for n in LABELS)] for r in rows)

    def close(self) -> None:
        pass


def parquet_schema() -> Any:
    import pyarrow as pa

    return pa.schema([("article_id", pa.string()), ("sentence_index", pa.int64()), ("text", pa.string()),
                      ("labels", pa.list_(pa.string())),
                      ("scores", pa.struct([(n, pa.float64()) for n in LABELS]))])


class ParquetWriter:
    """Parquet with the same columns as the JSONL (``labels`` a list, ``scores`` a struct), one row group a chunk."""

    def __init__(self, fh: IO[bytes]) -> None:
        import pyarrow.parquet as pq

        self.schema = parquet_schema()
        self.writer = pq.ParquetWriter(fh, self.schema)

    def write(self, rows: list[dict[str, Any]]) -> None:
        import pyarrow as pa

        self.writer.write_table(pa.Table.from_pylist(rows, schema=self.schema))

    def close(self) -> None:
        self.writer.close()


WRITERS: dict[str, type] = {"jsonl": JsonlWriter, "csv": CsvWriter, "parquet": ParquetWriter}


def infer_format(out: str | Path | None, fmt: str | None) -> str:
    """``fmt`` if given, else from the output's suffix (``.csv``, ``.parquet``), else ``jsonl``."""
    if fmt:
        return fmt
    suffix = Path(out).suffix.lower() if out else ""
    return {".csv": "csv", ".parquet": "parquet"}.get(suffix, "jsonl")


def errors_path(out: str | Path) -> Path:
    """Where the errors of a run writing ``out`` go: ``<out>.errors.jsonl``."""
    return Path(f"{out}.errors.jsonl")


# ----------------------------------------------------------------------------------------------------- briefs


def build_brief(article_id: str, title: str | None, rows: list[dict[str, Any]], top_k: int = TOP_K
                ) -> dict[str, Any]:
    """Counts and shares of sentences per category (and other), categories present (most first), top sentences."""
    n = len(rows)
    counts = {name: sum(name in r["labels"] for r in rows) for name in LABELS}
    counts[OTHER] = sum(not r["labels"] for r in rows)
    present = sorted((name for name in LABELS if counts[name]), key=lambda k: (-counts[k], LABELS.index(k)))
    top = {}
    for name in present:
        ranked = sorted((r for r in rows if name in r["labels"]), key=lambda r: -r["scores"][name])[:top_k]
        top[name] = [{"sentence_index": r["sentence_index"], "text": r["text"], "score": r["scores"][name]}
                     for r in ranked]
    return {"article_id": article_id, "title": title, "n_sentences": n, "counts": counts,
            "shares": {k: round(v / n, 4) if n else 0.0 for k, v in counts.items()}, "categories": present,
            "top_sentences": top, "summary": None, "category_summaries": {}, "extractive": {}}


def add_summaries(brief: dict[str, Any], rows: list[dict[str, Any]], summariser: Any) -> None:
    """Fill ``summary`` (the whole article) and ``category_summaries`` (each category's sentences) in place.

    A category with a single sentence keeps that sentence as its summary: it already is one sentence, and
    rewriting it can only add risk (the summariser was trained on whole reports). An abstractive summary that fails
    :func:`~accord.summary_metrics.soundness_problems` is replaced by a sentence of its source (the article's first,
    the category's top-scored) and the reasons are kept in ``brief["extractive"]`` (``"summary"`` or the category).
    """
    from accord.summary_metrics import soundness_problems

    texts = {name: [r["text"] for r in rows if name in r["labels"]] for name in brief["categories"]}
    to_summarise = [name for name in brief["categories"] if len(texts[name]) > 1]
    documents = [" ".join(r["text"] for r in rows)] + [" ".join(texts[name]) for name in to_summarise]
    summaries = [str(s) for s in summariser.predict(documents)["summary"]]
    fallbacks = [rows[0]["text"]] + [brief["top_sentences"][name][0]["text"] for name in to_summarise]
    brief["extractive"] = {}
    for i, (key, document) in enumerate(zip(["summary", *to_summarise], documents, strict=True)):
        problems = soundness_problems(summaries[i], document)
        if problems:
            summaries[i] = fallbacks[i]
            brief["extractive"][key] = problems
    brief["summary"] = summaries[0]
    rewritten = dict(zip(to_summarise, summaries[1:], strict=True))
    brief["category_summaries"] = {name: rewritten.get(name, texts[name][0]) for name in brief["categories"]}


def format_brief(brief: dict[str, Any]) -> str:
    """A brief as plain text for a terminal."""
    head = brief["article_id"] + (f" — {brief['title']}" if brief.get("title") else "")
    lines = [head, "=" * min(len(head), 100), f"{brief['n_sentences']} sentences"]
    extractive = brief.get("extractive") or {}
    if brief.get("summary"):
        lines.append(f"Summary: {brief['summary']}" + (" [lead sentence]" if "summary" in extractive else ""))
    for name in [*brief["categories"], OTHER]:
        count = brief["counts"][name]
        if name == OTHER and not count:
            continue
        lines.append(f"\n{name}: {count} sentence{'s' if count != 1 else ''} ({brief['shares'][name]:.0%})")
        if brief["category_summaries"].get(name):
            mark = " [top sentence]" if name in extractive else ""
            lines.append(f"  in one sentence: {brief['category_summaries'][name]}{mark}")
        for top in brief["top_sentences"].get(name, []):
            lines.append(f"  - [{top['score']:.2f}] {top['text']}")
    return "\n".join(lines) + "\n"


# ----------------------------------------------------------------------------------------------------- report

_CSS = """
body{font:16px/1.55 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;max-width:62rem;margin:2rem auto;
padding:0 1rem;color:#111827;background:#fff}
h1{font-size:1.6rem;margin-bottom:.2rem}h2{font-size:1.25rem;margin:2.5rem 0 .5rem;border-top:1px solid #e5e7eb;
padding-top:1.2rem}.muted{color:#6b7280;font-size:.9rem}
.legend span,.tag{display:inline-block;padding:.05rem .5rem;margin:.1rem;border-radius:.4rem;font-size:.85rem}
.brief{background:#f9fafb;border:1px solid #e5e7eb;border-radius:.5rem;padding:.8rem 1rem;margin:.8rem 0}
.brief table{border-collapse:collapse;width:100%;font-size:.92rem}.brief td,.brief th{text-align:left;
padding:.25rem .5rem;border-bottom:1px solid #e5e7eb;vertical-align:top}
.bar{display:inline-block;height:.6rem;border-radius:.2rem;background:#6b7280;vertical-align:middle}
.text p{margin:.35rem 0}.s{padding:.1rem .15rem;border-radius:.25rem}.s sup{font-size:.65rem;color:#374151}
"""


def _label_css() -> str:
    return "".join(f".l-{name}{{background:{colour}}}" for name, colour in LABEL_COLOURS.items())


class ReportWriter:
    """Streams a self-contained HTML page (inline CSS, no external assets); every text is escaped."""

    def __init__(self, fh: IO[str], title: str = "Accord: cooperation map") -> None:
        self.fh, self.n_articles, self.n_sentences = fh, 0, 0
        legend = "".join(f'<span class="l-{n}">{html.escape(n)}</span>' for n in (*LABELS, OTHER))
        fh.write(f"<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{html.escape(title)}"
                 f"</title><style>{_CSS}{_label_css()}</style></head><body><h1>{html.escape(title)}</h1>"
                 f'<p class="legend">{legend}</p>\n')

    def article(self, brief: dict[str, Any], rows: list[dict[str, Any]]) -> None:
        esc = html.escape
        self.n_articles += 1
        self.n_sentences += len(rows)
        heading = esc(brief.get("title") or brief["article_id"])
        out = [f'<section><h2 id="a{self.n_articles}">{heading}</h2>'
               f'<p class="muted">{esc(brief["article_id"])} · {brief["n_sentences"]} sentences</p>',
               '<div class="brief">']
        if brief.get("summary"):
            lead = ' <span class="muted">(lead sentence: the abstractive summary failed a check)</span>' \
                if "summary" in (brief.get("extractive") or {}) else ""
            out.append(f"<p><strong>Summary.</strong> {esc(brief['summary'])}{lead}</p>")
        out.append("<table><tr><th>category</th><th>sentences</th><th>in one sentence / top sentence</th></tr>")
        for name in [*brief["categories"], OTHER]:
            count, share = brief["counts"][name], brief["shares"][name]
            if name == OTHER and not count:
                continue
            line = brief["category_summaries"].get(name) or next(
                (t["text"] for t in brief["top_sentences"].get(name, [])), "")
            out.append(f'<tr><td><span class="tag l-{name}">{esc(name)}</span></td><td>{count} '
                       f'<span class="bar" style="width:{share * 6:.2f}rem"></span> {share:.0%}</td>'
                       f"<td>{esc(line)}</td></tr>")
        out.append('</table></div><div class="text"><p>')
        for r in rows:
            names = r["labels"] or [OTHER]
            tip = ", ".join(f"{n} {r['scores'][n]:.2f}" for n in LABELS)
            second = f' style="box-shadow:inset 0 -.25rem 0 {LABEL_COLOURS[names[1]]}"' if len(names) > 1 else ""
            out.append(f'<span class="s l-{names[0]}"{second} title="{esc(tip)}">{esc(r["text"])}'
                       f"<sup>{esc('+'.join(names))}</sup></span> ")
        out.append("</p></div></section>\n")
        self.fh.write("".join(out))

    def close(self) -> None:
        self.fh.write(f'<p class="muted">{self.n_articles} articles, {self.n_sentences} sentences. A sentence with '
                      "two categories is underlined in the second one's colour; hover a sentence for its scores.</p>"
                      "</body></html>\n")


# -------------------------------------------------------------------------------------------------------- run


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


def classify(inputs: list[str], predictor: Callable[[list[str]], tuple[np.ndarray, list[list[str]]]],
             out: IO[Any], fmt: str = "jsonl", unit: str = "article", briefs: IO[str] | None = None,
             report: IO[str] | None = None, summariser: Any = None, max_bytes: int = DEFAULT_MAX_BYTES,
             log: ErrorLog | None = None, stdin: IO[bytes] | None = None, progress: bool = False,
             print_briefs: IO[str] | None = None, chunk: int | None = None) -> ClassifyResult:
    """Stream ``inputs`` through ``predictor`` in chunks, writing rows to ``out`` and briefs/report as articles end."""
    from tqdm import tqdm

    log = log if log is not None else ErrorLog()
    result = ClassifyResult(errors=log.errors)
    writer = WRITERS[fmt](out)
    report_writer = ReportWriter(report) if report is not None else None
    want_briefs = briefs is not None or report_writer is not None or print_briefs is not None

    def on_article(first: Sentence, rows: list[dict[str, Any]]) -> None:
        result.articles += 1
        if not want_briefs:
            return
        brief = build_brief(first.article_id, first.title, rows)
        if summariser is not None:
            try:
                add_summaries(brief, rows, summariser)
            except Exception as exc:  # a summariser failure must not lose the brief
                result.warnings.append(f"{first.article_id}: summariser failed ({exc}); brief has no summaries")
        if briefs is not None:
            briefs.write(json.dumps(brief, ensure_ascii=False) + "\n")
        if report_writer is not None:
            report_writer.article(brief, rows)
        if print_briefs is not None:
            print_briefs.write(format_brief(brief) + "\n")
        result.briefs += 1

    articles = _Articles(on_article)
    sentences = iter_sentences(iter_records(inputs, unit, max_bytes, log, stdin), unit, log)
    bar = tqdm(unit="sent", desc="classify", file=sys.stderr, disable=not progress, dynamic_ncols=True,
               smoothing=0.1)
    try:
        for batch in chunked(sentences, chunk or CHUNK):
            probs, labels = predictor([s.text for s in batch])
            rows = [output_row(s, p, lab) for s, p, lab in zip(batch, probs, labels, strict=True)]
            writer.write(rows)
            articles.feed(batch, rows)
            result.sentences += len(rows)
            bar.update(len(rows))
        articles.flush()
    finally:
        bar.close()
    writer.close()
    if report_writer is not None:
        report_writer.close()
    return result


def progress_enabled(quiet: bool) -> bool:
    """Progress bar only on an interactive stderr and without ``--quiet``."""
    return not quiet and sys.stderr.isatty()


def run(inputs: list[str], out: Path | None = None, fmt: str | None = None, unit: str = "article",
        model_uri: str = DEFAULT_MODEL, briefs: Path | None = None, report: Path | None = None,
        max_bytes: int = DEFAULT_MAX_BYTES, quiet: bool = False, tracking_uri: str | None = None,
        print_briefs: bool = False, runtime: str = DEFAULT_RUNTIME, precision: str = DEFAULT_PRECISION,
        summariser_uri: str = DEFAULT_SUMMARISER,
        err: Callable[[str], None] | None = None, stdout: IO[str] | None = None,
        stdin: IO[bytes] | None = None) -> int:
    """``accord classify`` (local engine): returns the exit code (0 ok, 1 anything failed, 2 bad usage)."""
    err = err or (lambda m: print(m, file=sys.stderr))
    stdout = stdout or sys.stdout
    fmt = infer_format(out, fmt)
    problem = _usage_problem(fmt, unit, out, runtime, precision) or (
        "--print-briefs needs --out (stdout carries the rows)" if print_briefs and out is None else None)
    if problem:
        err(f"error: {problem}")
        return 2
    try:
        predictor = Predictor(load_pyfunc(model_uri, tracking_uri), runtime, precision)
    except ModelNotFound as exc:
        err(f"error: {exc}")
        err(f"error: no classifier to run; {NO_MODEL_HINT}")
        return 1
    summariser = None
    if briefs or report or print_briefs:
        try:
            summariser = load_pyfunc(summariser_uri, tracking_uri)
        except ModelNotFound as exc:
            err(f"warning: {exc}")
            err(f"warning: briefs are written without summaries; {NO_SUMMARISER_HINT}")
    log = ErrorLog(lambda e: err(f"error: {e}"))
    with contextlib.ExitStack() as stack:
        out_fh = stack.enter_context(atomic_open(out, "wb" if fmt == "parquet" else "w")) \
            if out else stdout
        briefs_fh = stack.enter_context(atomic_open(briefs)) if briefs else None
        report_fh = stack.enter_context(atomic_open(report)) if report else None
        result = classify(inputs, predictor, out_fh, fmt, unit, briefs_fh, report_fh, summariser, max_bytes, log,
                          stdin, progress_enabled(quiet), stdout if print_briefs else None)
        if out:
            with atomic_open(errors_path(out)) as fh:
                fh.write("".join(json.dumps(e.to_dict(), ensure_ascii=False) + "\n" for e in log.errors))
    for w in result.warnings:
        err(f"warning: {w}")
    if not quiet:
        where = f" to {out}" if out else ""
        err(f"classified {result.sentences} sentences of {result.articles} articles{where}"
            + (f"; {result.briefs} briefs" if want_any(briefs, report, print_briefs) else "")
            + (f"; {len(log.errors)} input error(s), listed in {errors_path(out)}" if log.errors and out else
               f"; {len(log.errors)} input error(s)" if log.errors else ""))
    return 1 if log.errors else 0


def want_any(*things: Any) -> bool:
    return any(bool(t) for t in things)


def _usage_problem(fmt: str, unit: str, out: Path | None, runtime: str = DEFAULT_RUNTIME,
                   precision: str = DEFAULT_PRECISION) -> str | None:
    if runtime not in RUNTIMES:
        return f"--runtime must be one of {RUNTIMES}, got {runtime!r}"
    if precision not in PRECISIONS:
        return f"--precision must be one of {PRECISIONS}, got {precision!r}"
    if fmt not in FORMATS:
        return f"--format must be one of {FORMATS}, got {fmt!r}"
    if unit not in UNITS:
        return f"--unit must be one of {UNITS}, got {unit!r}"
    if fmt == "parquet" and out is None:
        return "--format parquet needs --out FILE"
    return None


# ---------------------------------------------------------------------------------------------------- summarise


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


def summarise_run(inputs: list[str], out: Path | None = None, model_uri: str = DEFAULT_SUMMARISER,
                  text_field: str = "text", max_bytes: int = DEFAULT_MAX_BYTES, quiet: bool = False,
                  tracking_uri: str | None = None, err: Callable[[str], None] | None = None,
                  stdout: IO[str] | None = None, batch_size: int = 8) -> int:
    """``accord summarise``: one ``{"id", "summary"}`` row per article; returns the exit code."""
    err = err or (lambda m: print(m, file=sys.stderr))
    try:
        model = load_pyfunc(model_uri, tracking_uri)
    except ModelNotFound as exc:
        err(f"error: {exc}")
        err(f"error: no summariser to run; {NO_SUMMARISER_HINT}")
        return 1
    from tqdm import tqdm

    log = ErrorLog(lambda e: err(f"error: {e}"))
    done = 0
    with contextlib.ExitStack() as stack:
        fh = stack.enter_context(atomic_open(out)) if out else (stdout or sys.stdout)
        bar = stack.enter_context(tqdm(unit="article", disable=not progress_enabled(quiet), file=sys.stderr))
        for chunk in chunked(iter_documents(inputs, text_field, max_bytes, log), batch_size):
            summaries = model.predict([text for _, text in chunk])["summary"].tolist()
            fh.write("".join(json.dumps({"id": doc_id, "summary": summary}, ensure_ascii=False) + "\n"
                             for (doc_id, _), summary in zip(chunk, summaries, strict=True)))
            done += len(chunk)
            bar.update(len(chunk))
        if out:
            with atomic_open(errors_path(out)) as efh:
                efh.write("".join(json.dumps(e.to_dict(), ensure_ascii=False) + "\n" for e in log.errors))
    if not quiet:
        err(f"summarised {done} articles" + (f" to {out}" if out else "")
            + (f"; {len(log.errors)} input error(s)" if log.errors else ""))
    return 1 if log.errors else 0
