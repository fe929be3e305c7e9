"""Scale-out engine for ``accord classify --engine spark``: the same registered pyfunc via ``mlflow.pyfunc.spark_udf``.

    pip install -e ".[spark]"    # pyspark; needs Java 17
    accord classify corpus.parquet news/ more.jsonl --engine spark --master local[*] --out labelled.parquet

Reads Parquet and JSONL (records with ``text``, optional ``id``/``article_id``, ``title``, ``sentence_index``) and
folders or files of ``*.txt``/``*.md`` (one article each); splits articles with the project's splitter inside the
executors; writes the same rows as the local engine as a folder of Parquet or JSON Lines part files, built in a temp
folder and renamed into place. Only a folder that an earlier run wrote (it holds :data:`~accord.io.OUTPUT_MARKER`)
is ever replaced; any other existing folder is refused before Spark starts. Malformed JSONL records are named in
``<out>.errors.jsonl`` (Spark does not keep line numbers). ``--briefs FOLDER`` writes one brief per article as JSON
lines in part files, built in the executors from each article's rows as the local engine builds them (summaries by
the registered summariser, loaded once per Python worker through the model cache, so the executors need the MLflow
store); the HTML report and ``--print-briefs`` are local-engine features.
"""

from __future__ import annotations

import logging
import os
import shutil
import sys
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

from accord import storage, tracking
from accord.batch.cache import PROGRESS_ENV
from accord.batch.classify import BROKEN_SUMMARISER_HINT, NO_MODEL_HINT, NO_SUMMARISER_HINT, ClassifyOptions
from accord.batch.inputs import (
    CSV_SUFFIXES,
    JSONL_SUFFIXES,
    PARQUET_SUFFIXES,
    STDIN,
    ErrorLog,
    folder_files,
)
from accord.batch.writers import infer_format
from accord.io import (
    InputError,
    OutputError,
    check_outputs,
    errors_path,
    mark_output_dir,
    output_dir_problem,
    temp_dir_beside,
    write_errors,
    write_failure,
)
from accord.labels import LABELS

SPARK_FORMATS = ("jsonl", "parquet")
JSON_SCHEMA = "id STRING, article_id STRING, title STRING, text STRING, sentence_index LONG, _corrupt_record STRING"


def result_type() -> str:
    """Spark type of the classifier pyfunc's output: ``labels`` plus one ``score_<label>`` per label."""
    return "struct<labels: array<string>, " + ", ".join(f"score_{n}: double" for n in LABELS) + ">"


PANDAS_NOTICE = "PySpark does not yet fully support pandas"  # printed by every worker; Accord's tests run pandas 3


def session(master: str = "local[*]", app_name: str = "accord-classify", progress: bool = True) -> Any:
    """A SparkSession on ``master`` whose Python workers use this interpreter; no web UI (``progress``: Spark's
    console progress bar)."""
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    os.environ.setdefault("PYTHONWARNINGS", f"ignore:{PANDAS_NOTICE}")  # the workers inherit it
    warnings.filterwarnings("ignore", message=PANDAS_NOTICE)
    from pyspark.sql import SparkSession

    return (SparkSession.builder.master(master).appName(app_name)
            .config("spark.ui.enabled", "false").config("spark.sql.shuffle.partitions", "8")
            .config("spark.ui.showConsoleProgress", str(progress).lower())
            .config("spark.driver.memory", "2g").getOrCreate())


def _split_udf() -> Any:
    from pyspark.sql import functions as F

    @F.udf("array<string>")
    def split(text):  # no type hints: PySpark would try to read a pandas UDF type from them, and warn
        from accord.text import split_article

        return split_article(text) if text else []

    return split


def _route_inputs(inputs: list[str], log: ErrorLog) -> tuple[list[str], list[str], list[str]]:
    """``(parquet, jsonl, text files)`` among ``inputs``; what Spark cannot read goes to ``log``."""
    parquet, jsonl, text = [], [], []
    for item in inputs:
        p = Path(item)
        if item == STDIN or (p.suffix.lower() in CSV_SUFFIXES):
            log.add(InputError(item, "not read by --engine spark (use Parquet, JSONL, text files or --engine local)"))
        elif not p.exists():
            log.add(InputError(p, "no such file or folder"))
        elif p.suffix.lower() in PARQUET_SUFFIXES:
            parquet.append(str(p))
        elif p.suffix.lower() in JSONL_SUFFIXES:
            jsonl.append(str(p))
        elif p.is_dir():
            text += [str(f) for f, _ in folder_files(p, log)]
        else:
            text.append(str(p))
    return parquet, jsonl, text


def _stem() -> Any:
    from pyspark.sql import functions as F

    return F.regexp_extract(F.input_file_name(), r"([^/]+?)(\.[^./]*)?$", 1)


def _parquet_frame(spark: Any, files: list[str], log: ErrorLog) -> Any:
    from pyspark.sql import functions as F

    df = spark.read.parquet(*files)
    have = set(df.columns)
    if "text" not in have:
        log.add(InputError(", ".join(files), f"Parquet input has no 'text' column (columns: {df.columns})"))
        return None
    ident = F.coalesce(*[F.col(c).cast("string") for c in ("article_id", "id") if c in have], _stem())
    return df.select(ident.alias("article_id"),
                     (F.col("title") if "title" in have else F.lit(None)).cast("string").alias("title"),
                     F.col("text").cast("string").alias("text"),
                     (F.col("sentence_index") if "sentence_index" in have else F.lit(None)).cast("long")
                     .alias("sentence_index"))


def _jsonl_frame(spark: Any, files: list[str], log: ErrorLog) -> Any:
    from pyspark.sql import functions as F

    df = (spark.read.schema(JSON_SCHEMA).option("mode", "PERMISSIVE")
          .option("columnNameOfCorruptRecord", "_corrupt_record").json(files)
          .withColumn("_file", F.input_file_name()).cache())
    bad = df.filter(F.col("_corrupt_record").isNotNull() | F.col("text").isNull() | (F.trim("text") == ""))
    for row in bad.select("_file", "_corrupt_record", "id").limit(10_000).collect():
        what = f"malformed JSON record {row['_corrupt_record'][:80]!r}" if row["_corrupt_record"] else \
            f"record {row['id']!r} needs a non-empty string 'text'"
        log.add(InputError(row["_file"].removeprefix("file://"), what))
    good = df.filter(F.col("_corrupt_record").isNull() & F.col("text").isNotNull() & (F.trim("text") != ""))
    return good.select(F.coalesce("article_id", "id", _stem()).alias("article_id"), "title", "text",
                       "sentence_index")


def _text_frame(spark: Any, files: list[str]) -> Any:
    from pyspark.sql import functions as F

    df = spark.read.text(files, wholetext=True)
    return df.select(_stem().alias("article_id"), F.lit(None).cast("string").alias("title"),
                     F.col("value").alias("text"), F.lit(None).cast("long").alias("sentence_index"))


def read_inputs(spark: Any, inputs: list[str], log: ErrorLog) -> Any:
    """One DataFrame ``article_id, title, text, sentence_index`` over every readable input; the rest to ``log``."""
    parquet, jsonl, text = _route_inputs(inputs, log)
    frames = [_parquet_frame(spark, parquet, log) if parquet else None,
              _jsonl_frame(spark, jsonl, log) if jsonl else None, _text_frame(spark, text) if text else None]
    frames = [f for f in frames if f is not None]
    if not frames:
        return None
    out = frames[0]
    for frame in frames[1:]:
        out = out.unionByName(frame)
    return out.select("article_id", "title", "text", "sentence_index")


def sentences(df: Any, unit: str) -> Any:
    """``article_id, title, sentence_index, text``: split articles in the executors, or keep records whole."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    if unit == "article":
        return df.select("article_id", "title", F.posexplode(_split_udf()("text")).alias("sentence_index", "text"))
    order = Window.partitionBy("article_id").orderBy(F.monotonically_increasing_id())
    return df.select("article_id", "title", F.coalesce("sentence_index", F.row_number().over(order) - 1)
                     .alias("sentence_index"), F.trim(F.regexp_replace("text", r"\s+", " ")).alias("text"))


def classify_frame(spark: Any, df: Any, model_uri: str) -> Any:
    """Rows in the local engine's shape, ``article_id, sentence_index, text, labels, scores{label: p}``, and the
    article's ``title`` (for briefs; not written with the rows)."""
    import mlflow
    from pyspark.sql import functions as F

    predict = mlflow.pyfunc.spark_udf(spark, model_uri, result_type=result_type(), env_manager="local")
    parts = max(spark.sparkContext.defaultParallelism, 1)
    pred = df.repartition(parts).withColumn("pred", predict(F.col("text")))
    scores = F.struct(*[F.col(f"pred.score_{n}").alias(n) for n in LABELS])
    return pred.select("article_id", F.col("sentence_index").cast("long"), "text", F.col("pred.labels").alias("labels"),
                       scores.alias("scores"), "title")


_WORKER_SUMMARISERS: dict[tuple[str, str], Any] = {}  # per Python worker: loaded once, reused for every article


def _worker_summariser(uri: str, tracking_uri: str, draws: int | None) -> Any:
    from accord.batch.models import load_summariser, with_agreement_draws

    if (uri, tracking_uri) not in _WORKER_SUMMARISERS:
        _WORKER_SUMMARISERS[(uri, tracking_uri)] = load_summariser(uri, tracking_uri)
    return with_agreement_draws(_WORKER_SUMMARISERS[(uri, tracking_uri)], draws)


def article_brief(pdf: Any, summarise: dict[str, Any] | None) -> dict[str, Any]:
    """The brief of one article's classified rows (a pandas frame with ``score_<label>`` columns), as the local
    engine builds it; ``summarise`` (summariser ``uri``, ``tracking_uri``, ``mode``, ``draws``) adds summaries. A
    summariser failure leaves the brief without them and says why in ``warnings``."""
    from accord.batch.briefs import add_summaries_many, build_brief

    pdf = pdf.sort_values("sentence_index")
    rows = [{"article_id": r.article_id, "sentence_index": int(r.sentence_index), "text": r.text,
             "labels": [str(x) for x in r.labels], "scores": {n: float(getattr(r, f"score_{n}")) for n in LABELS}}
            for r in pdf.itertuples(index=False)]
    title = next((t for t in pdf["title"] if isinstance(t, str)), None)
    brief = build_brief(str(pdf["article_id"].iloc[0]), title, rows)
    if summarise:
        try:
            summariser = _worker_summariser(summarise["uri"], summarise["tracking_uri"], summarise["draws"])
            add_summaries_many([(brief, rows)], summariser, summarise["mode"])
        except Exception as exc:  # one article's failure must not fail the job: its brief goes out without summaries
            brief["warnings"] = [f"summariser failed ({type(exc).__name__}: {exc}); brief has no summaries"]
    return brief


def briefs_frame(classified: Any, summarise: dict[str, Any] | None) -> Any:
    """One JSON line per article (column ``brief``), built in the executors by :func:`article_brief`."""
    import json

    from pyspark.sql import functions as F

    flat = classified.select("article_id", "title", "sentence_index", "text", "labels",
                             *[F.col(f"scores.{n}").alias(f"score_{n}") for n in LABELS])

    def one(pdf):  # no type hints: PySpark reads them as a pandas UDF type (and warns on Any)
        import pandas as pd

        return pd.DataFrame({"brief": [json.dumps(article_brief(pdf, summarise), ensure_ascii=False)]})

    return flat.groupBy("article_id").applyInPandas(one, schema="brief string")


def _replace_dir(tmp: Path, out: Path) -> None:
    """Move the finished folder ``tmp`` to ``out``, marked as Accord's; an older ``out`` is removed only after the
    new one is ready, and only if an earlier run wrote it (checked again: the folder may have changed meanwhile)."""
    problem = output_dir_problem(out)
    if problem:
        raise OutputError(out, problem, usage=True)
    mark_output_dir(tmp)
    old = None
    if out.exists():
        old = out.with_name(f".{out.name}.old-{os.getpid()}")
        os.replace(out, old)
    os.replace(tmp, out)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _usage_problem(opts: ClassifyOptions, fmt: str) -> str | None:
    if opts.out is None:
        return "--engine spark needs --out (a folder of part files)"
    if fmt not in SPARK_FORMATS:
        return f"--engine spark writes {SPARK_FORMATS}, not {fmt!r}"
    if opts.report or opts.print_briefs:
        return "--report and --print-briefs need --engine local (--briefs works on Spark)"
    if opts.briefs and opts.briefs.resolve() == opts.out.resolve():
        return "--briefs and --out are the same folder"
    for option, folder in (("--out", opts.out), ("--briefs", opts.briefs)):
        problem = output_dir_problem(folder) if folder else None
        if problem:
            return f"{option} {folder} {problem}"
    return opts.problem()


def _write(spark: Any, rows: Any, out: Path, fmt: str, keep_old_if_empty: bool = False) -> int:
    """Write ``rows`` as part files in a temp folder beside ``out``, then move it into place; returns the count.
    ``fmt``: parquet, jsonl, or text (one string column, a line each). ``keep_old_if_empty``: no rows leave an
    earlier ``out`` as it was (a run where everything failed)."""
    with temp_dir_beside(out) as tmp:
        writer = rows.write.mode("overwrite")
        kind = {"parquet": "parquet", "text": "text"}.get(fmt, "json")
        getattr(writer, kind)(str(tmp / "data"))
        reader = getattr(spark.read, kind)
        n = reader(str(tmp / "data")).count()
        if n or not keep_old_if_empty:
            _replace_dir(tmp / "data", out)
    return n


def _model_problem(model_uri: str, tracking_uri: str | None) -> str | None:
    import mlflow

    mlflow.set_tracking_uri(storage.tracking_uri(tracking_uri))
    try:
        mlflow.models.get_model_info(model_uri)
    except Exception as exc:  # MLflow, the store (SQLAlchemy) and the disk raise their own types
        return storage.explain_load_error(model_uri, exc)
    return None


def _preflight(opts: ClassifyOptions, fmt: str) -> tuple[int, str] | None:
    """``(exit code, message)`` for what stops the run before Spark starts (usage 2, else 1), or None."""
    problem = _usage_problem(opts, fmt) or storage.model_uri_problem(opts.model_uri, opts.tracking_uri,
                                                                       opts.trust_model)
    if problem or opts.out is None:
        return 2, f"error: {problem}"
    if tracking.model_kind(opts.model_uri) == "summariser":
        return 2, f"error: --model {opts.model_uri} is a summariser, not a classifier; pass a classifier's URI"
    try:
        check_outputs({"the errors file": errors_path(opts.out)}, opts.inputs)
    except OutputError as exc:
        return (2 if exc.usage else 1), f"error: {exc}"
    try:
        import pyspark  # noqa: F401
    except ImportError:
        return 2, 'error: --engine spark needs pyspark: pip install -e ".[spark]"'
    missing = storage.store_problem(opts.tracking_uri) or _model_problem(opts.model_uri, opts.tracking_uri)
    return (1, f"error: {missing}\nerror: no classifier to run; {NO_MODEL_HINT}") if missing else None


def _summarise_settings(opts: ClassifyOptions, err: Callable[[str], None]) -> dict[str, Any] | None:
    """What the executors need to summarise briefs, or None (``--summaries none``, or no summariser: a warning,
    and briefs without summaries, as on the local engine). A registered summariser that cannot load raises
    ``tracking.ModelBroken`` here, on the driver, before any executor starts (loading it also fills the local model
    cache the executors then read)."""
    from accord.batch.models import load_summariser

    if not opts.briefs or opts.summaries == "none":
        return None
    missing = _model_problem(opts.summariser_uri, opts.tracking_uri)
    if missing:
        err(f"warning: {missing}")
        err(f"warning: briefs are written without summaries; {NO_SUMMARISER_HINT}")
        return None
    load_summariser(opts.summariser_uri, opts.tracking_uri)  # dropped at once: the executors load their own
    return {"uri": opts.summariser_uri, "tracking_uri": storage.tracking_uri(opts.tracking_uri),
            "mode": opts.summaries, "draws": opts.agreement_draws}


def _run(spark: Any, opts: ClassifyOptions, fmt: str, log: ErrorLog, summarise: dict[str, Any] | None
         ) -> tuple[int, int]:
    """Classify and write the rows (and the briefs); returns ``(sentences, briefs)``."""
    df = read_inputs(spark, opts.inputs, log)
    if df is None or opts.out is None:
        return 0, 0
    classified = classify_frame(spark, sentences(df, opts.unit), opts.model_uri).cache()
    n = _write(spark, classified.drop("title"), opts.out, fmt, bool(log.errors))
    briefs = _write(spark, briefs_frame(classified, summarise), opts.briefs, "text", bool(log.errors)) \
        if opts.briefs and n else 0
    return n, briefs


def run_spark(opts: ClassifyOptions, master: str = "local[*]", err: Callable[[str], None] | None = None) -> int:
    """``accord classify --engine spark``: returns the exit code (0 ok, 1 anything failed, 2 bad usage)."""
    err = err or (lambda m: print(m, file=sys.stderr))
    fmt = infer_format(opts.out, opts.fmt)
    stop = _preflight(opts, fmt)
    if stop is not None or opts.out is None:
        code, message = stop or (2, "error: --engine spark needs --out")
        for line in message.splitlines():
            err(line)
        return code
    try:
        summarise = _summarise_settings(opts, err)
    except tracking.ModelBroken as exc:  # briefs were asked with summaries: as on the local engine, nothing runs
        err(f"error: {exc}")
        err(f"error: the summariser cannot load; {BROKEN_SUMMARISER_HINT}")
        return 1
    log = ErrorLog(lambda e: err(f"error: {e}"), lambda w: err(f"warning: {w}"))
    tracking.quiet_libraries()  # before the session: its Python workers inherit the switches through the environment
    os.environ.setdefault(PROGRESS_ENV, "false")  # spark_udf's model download: no progress bar per file
    logging.getLogger("mlflow").setLevel(logging.ERROR)  # spark_udf's notices about env_manager="local"
    spark = session(master, progress=not opts.quiet)
    try:
        n, briefs = _run(spark, opts, fmt, log, summarise)
        write_errors(opts.out, log.errors, log.warnings)
    except OutputError as exc:
        err(f"error: {exc}")
        return 2 if exc.usage else 1
    except OSError as exc:
        err(f"error: {write_failure(exc, [opts.out, opts.briefs])}")
        return 1
    finally:
        spark.stop()
    if not opts.quiet:
        kept = "; nothing classified, the earlier output was kept" if not n and log.errors and opts.out.exists() \
            else ""
        err(f"classified {n} sentences on Spark ({master}) to {opts.out}/{kept}"
            + (f"; {briefs} briefs to {opts.briefs}/" if opts.briefs and n else "")
            + (f"; {len(log.errors)} input error(s), listed in {errors_path(opts.out)}" if log.errors else ""))
    return 1 if log.errors else 0
