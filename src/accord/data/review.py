"""The review loop: pick the sentences a classified output is least sure of, have people label them, add them.

    accord review export labelled.jsonl --n 50 --out sheet.csv        # also writes sheet.jsonl
    accord review import sheet.csv                                     # checks everything, then appends

:func:`select_uncertain` ranks classified rows (any ``accord classify`` output: JSONL, CSV or Parquet) by
disagreement with a second model first, then by the smallest margin between a score and its label's threshold.
:func:`write_sheet` writes the labelling sheet (CSV and JSONL): ``id, article_id, sentence_index, text, predicted,
score_<label>``, a fingerprint of the text, and one empty ``gold_<label>`` column per label (1 = has it, 0 = not;
a row of zeros is other). :func:`read_sheet` validates a filled sheet (unknown values, duplicates, edited texts,
unlabelled rows: each named FILE:LINE) and :func:`append_reviewed` adds the rows to ``data/real/sentences.jsonl``
with their provenance, all or nothing. Reviewed sentences always go to the training split, so validation and test
stay comparable between runs; the promotion gate decides whether the retrained model serves.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from accord.io import InputError, atomic_open, csv_safe, csv_unsafe, iter_jsonl, write_jsonl_atomic
from accord.labels import LABELS, SCORE_COLUMNS

GOLD_COLUMNS = tuple(f"gold_{name}" for name in LABELS)
SHEET_COLUMNS = ("id", "article_id", "sentence_index", "text", "predicted", *SCORE_COLUMNS, "text_sha",
                 *GOLD_COLUMNS)
YES, NO = {"1", "x", "yes", "y", "true"}, {"0", "no", "n", "false"}


def text_sha(text: str) -> str:
    """A short fingerprint of a sentence: an edited text in a returned sheet no longer matches it."""
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:12]


def read_classified(path: str | Path) -> tuple[list[dict[str, Any]], list[InputError]]:
    """Rows of an ``accord classify`` output (JSONL, CSV or Parquet) with ``text``, ``labels`` and scores."""
    p = Path(path)
    errors: list[InputError] = []
    if p.suffix.lower() == ".parquet":
        import pyarrow.parquet as pq

        try:
            raw = pq.read_table(p).to_pylist()
        except Exception as exc:  # pyarrow raises several types for a bad file
            return [], [InputError(p, f"not a readable Parquet file: {exc}")]
        rows = [(i + 1, r) for i, r in enumerate(raw)]
    elif p.suffix.lower() == ".csv":
        rows = _csv_rows(p, errors)
    else:
        rows = list(iter_jsonl(p, errors))
    out = []
    for line, r in rows:
        row = _classified_row(r)
        if row is None:
            errors.append(InputError(p, "not a classified row (needs text, labels and a score per label)", line))
        else:
            out.append(row | {"where": f"{p}:{line}"})
    return out, errors


def _csv_rows(path: Path, errors: list[InputError]) -> list[tuple[int, dict[str, Any]]]:
    try:
        with path.open(encoding="utf-8", newline="") as fh:
            return [(k + 2, {c: csv_unsafe(v) if isinstance(v, str) else v for c, v in r.items()})
                    for k, r in enumerate(csv.DictReader(fh))]
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        errors.append(InputError(path, f"cannot read CSV: {exc}"))
        return []


def _sheet_rows(path: Path, errors: list[InputError]) -> list[tuple[int, dict[str, Any]]]:
    """``(line, row)`` of a sheet, CSV or JSONL by its suffix; problems go to ``errors``."""
    return _csv_rows(path, errors) if path.suffix.lower() == ".csv" else list(iter_jsonl(path, errors))


def _classified_row(r: dict[str, Any]) -> dict[str, Any] | None:
    """``{article_id, sentence_index, text, labels, scores}`` from a JSONL/Parquet row or a CSV row, or None."""
    text = r.get("text")
    scores = r.get("scores") if isinstance(r.get("scores"), dict) else {n: r.get(f"score_{n}") for n in LABELS}
    try:
        probs = [float(scores[n]) for n in LABELS]
    except (KeyError, TypeError, ValueError):
        return None
    labels = r.get("labels")
    if isinstance(labels, str):
        labels = [x for x in labels.split(";") if x]
    if not isinstance(text, str) or not text.strip() or not isinstance(labels, list):
        return None
    return {"article_id": str(r.get("article_id", "")), "sentence_index": r.get("sentence_index", ""),
            "text": text, "labels": labels, "scores": probs}


def select_uncertain(rows: list[dict[str, Any]], thresholds: np.ndarray, n: int,
                     second: Callable[[list[str]], list[list[str]]] | None = None) -> list[dict[str, Any]]:
    """The ``n`` rows the model is least sure of: disagreement with ``second`` first, then the smallest margin
    between a score and its threshold; one row per distinct text."""
    seen, unique = set(), []
    for r in rows:
        if r["text"] not in seen:
            seen.add(r["text"])
            unique.append(r)
    margins = [float(np.min(np.abs(np.asarray(r["scores"]) - thresholds))) for r in unique]
    other = second([r["text"] for r in unique]) if second is not None and unique else None
    disagree = [bool(other) and sorted(other[i]) != sorted(r["labels"]) for i, r in enumerate(unique)]
    order = sorted(range(len(unique)), key=lambda i: (not disagree[i], margins[i]))
    return [unique[i] | {"margin": margins[i], "disagreement": disagree[i]} for i in order[:n]]


def sheet_rows(selected: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The labelling sheet's rows, gold columns empty."""
    out = []
    for r in selected:
        out.append({"id": f"{r['article_id']}:{r['sentence_index']}", "article_id": r["article_id"],
                    "sentence_index": r["sentence_index"], "text": r["text"],
                    "predicted": ";".join(r["labels"]) or "other",
                    **{c: round(p, 4) for c, p in zip(SCORE_COLUMNS, r["scores"], strict=True)},
                    "text_sha": text_sha(r["text"]), **dict.fromkeys(GOLD_COLUMNS, "")})
    return out


def sheet_paths(out: str | Path) -> tuple[Path, Path]:
    """The sheet's two files, ``<out>.csv`` and ``<out>.jsonl``."""
    base = Path(out).with_suffix("")
    return base.with_suffix(".csv"), base.with_suffix(".jsonl")


def labelled_sheet(out: str | Path) -> Path | None:
    """The existing sheet file at ``out`` that already holds a gold label, if any: a new export there would wipe
    someone's labelling work, so the command refuses it. An unreadable file counts as labelled (it is not ours to
    overwrite)."""
    for path in sheet_paths(out):
        if not path.exists():
            continue
        errors: list[InputError] = []
        rows = _sheet_rows(path, errors)
        if errors or any(str(row.get(c) if row.get(c) is not None else "").strip() for _, row in rows
                         for c in GOLD_COLUMNS):
            return path
    return None


def write_sheet(rows: list[dict[str, Any]], out: str | Path) -> tuple[Path, Path]:
    """The sheet as ``<out>.csv`` (cells a spreadsheet would run as formulas neutralised, given back on import) and
    ``<out>.jsonl`` (as is), written atomically; returns both paths."""
    csv_path, jsonl_path = sheet_paths(out)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(SHEET_COLUMNS), lineterminator="\n")
    writer.writeheader()
    writer.writerows({k: csv_safe(v) if isinstance(v, str) else v for k, v in r.items()} for r in rows)
    with atomic_open(csv_path) as fh:
        fh.write(buffer.getvalue())
    write_jsonl_atomic(jsonl_path, rows)
    return csv_path, jsonl_path


@dataclass
class Reviewed:
    """One labelled sentence from a sheet."""

    row: dict[str, Any]
    labels: list[str]
    where: str


def _gold(row: dict[str, Any], path: Path, line: int) -> tuple[list[str] | None, list[InputError]]:
    """The gold labels of a sheet row (None: not labelled), or the errors in its gold cells."""
    cells = {name: str(row.get(f"gold_{name}") if row.get(f"gold_{name}") is not None else "").strip().lower()
             for name in LABELS}
    if not any(cells.values()):
        return None, [InputError(path, "no gold label filled in (1 = has the label, 0 = not; all 0 = other)", line)]
    bad = {k: v for k, v in cells.items() if v and v not in YES | NO}
    if bad:
        return None, [InputError(path, f"gold values must be 1 or 0 (or x / blank), got {bad}", line)]
    return [name for name in LABELS if cells[name] in YES], []


def read_sheet(path: str | Path, known_texts: set[str]) -> tuple[list[Reviewed], list[InputError]]:
    """Every labelled row of a returned sheet (CSV or JSONL), and every problem in it, each naming FILE:LINE."""
    p = Path(path)
    errors: list[InputError] = []
    rows = _sheet_rows(p, errors)
    if not rows and not errors:
        errors.append(InputError(p, "the sheet has no rows"))
    out, seen = [], {}
    for line, row in rows:
        missing = [c for c in ("id", "text", "text_sha", *GOLD_COLUMNS) if c not in row]
        if missing:
            errors.append(InputError(p, f"missing column(s) {missing}", line))
            continue
        text = str(row["text"])
        if text_sha(text) != str(row["text_sha"]):
            errors.append(InputError(p, "the text was edited after export (its fingerprint does not match)", line))
            continue
        if text in seen:
            errors.append(InputError(p, f"duplicate of line {seen[text]}", line))
            continue
        seen[text] = line
        if text in known_texts:
            errors.append(InputError(p, "this sentence is already in the corpus", line))
            continue
        labels, problems = _gold(row, p, line)
        errors += problems
        if labels is not None:
            out.append(Reviewed(row, labels, f"{p}:{line}"))
    return out, errors


def append_reviewed(reviewed: Iterable[Reviewed], sentences_path: str | Path, provenance: dict[str, str]) -> int:
    """Append the reviewed sentences to the real corpus's sentences file in one atomic write; returns how many."""
    path = Path(sentences_path)
    existing = [obj for _, obj in iter_jsonl(path, [])] if path.exists() else []
    new = [{"id": "rv_" + text_sha(f"{r.row['id']}|{r.row['text']}"), "article_id": str(r.row.get("article_id", "")),
            "sentence_index": _int(r.row.get("sentence_index")), "text": r.row["text"], "labels": r.labels,
            "source": "review", "provenance": provenance | {"sheet_row": r.where}} for r in reviewed]
    write_jsonl_atomic(path, existing + new)
    return len(new)


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def known_texts(sentences_path: str | Path) -> set[str]:
    """Every sentence text already in a sentences file."""
    path = Path(sentences_path)
    return {obj["text"] for _, obj in iter_jsonl(path, [])} if path.exists() else set()
