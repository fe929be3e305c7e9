"""Writers of classified sentences: JSONL, CSV and Parquet, one row per sentence with its labels and scores."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import IO, Any

import numpy as np

from accord.batch.inputs import Sentence
from accord.io import csv_safe, json_line
from accord.labels import LABELS

FORMATS = ("jsonl", "csv", "parquet")


def output_row(s: Sentence, probs: np.ndarray, labels: list[str]) -> dict[str, Any]:
    """The output row of one sentence."""
    return {"article_id": s.article_id, "sentence_index": s.sentence_index, "text": s.text, "labels": labels,
            "scores": {name: round(float(p), 6) for name, p in zip(LABELS, probs, strict=True)}}


class JsonlWriter:
    """One JSON object a line, as :func:`output_row` makes it (control and bidi characters escaped)."""

    def __init__(self, fh: IO[str]) -> None:
        self.fh = fh

    def write(self, rows: list[dict[str, Any]]) -> None:
        self.fh.write("".join(json_line(r) for r in rows))

    def close(self) -> None:
        self.fh.flush()


class CsvWriter:
    """``article_id, sentence_index, text, labels`` (``;``-separated, empty = other), ``score_<label>`` columns.

    Text cells a spreadsheet would run as a formula (``=``, ``+``, ``-``, ``@``, tab, CR first) get a ``'`` in front
    (OWASP); ``raw`` keeps them as they are (``accord classify --raw-csv``).
    """

    def __init__(self, fh: IO[str], raw: bool = False) -> None:
        self.writer = csv.writer(fh, lineterminator="\n")
        self.cell = (lambda value: value) if raw else csv_safe
        self.writer.writerow(["article_id", "sentence_index", "text", "labels", *(f"score_{n}" for n in LABELS)])

    def write(self, rows: list[dict[str, Any]]) -> None:
        cell = self.cell
        self.writer.writerows([cell(r["article_id"]), r["sentence_index"], cell(r["text"]), ";".join(r["labels"]),
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


def make_writer(fmt: str, fh: IO[Any], raw_csv: bool = False) -> Any:
    """The writer of ``fmt`` on ``fh`` (``raw_csv``: CSV cells as they are, not neutralised)."""
    return CsvWriter(fh, raw=True) if fmt == "csv" and raw_csv else WRITERS[fmt](fh)


def infer_format(out: str | Path | None, fmt: str | None) -> str:
    """``fmt`` if given, else from the output's suffix (``.csv``, ``.parquet``), else ``jsonl``."""
    if fmt:
        return fmt
    suffix = Path(out).suffix.lower() if out else ""
    return {".csv": "csv", ".parquet": "parquet"}.get(suffix, "jsonl")
