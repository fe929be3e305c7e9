"""The batch commands: ``accord split``, ``classify``, ``summarise`` and ``ui``."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from accord.cli.common import (
    AgreementOpt,
    MaxBytesOpt,
    QuietOpt,
    RawCsvOpt,
    SummariesOpt,
    TrackingOpt,
    TrustOpt,
    VerboseOpt,
    app,
    err,
)


@app.command("split")
def split(files: Annotated[list[Path], typer.Argument(help=".txt articles (UTF-8).")]) -> None:
    """Print the clean sentences of each article as JSON Lines; bad files are named on stderr (exit 1)."""
    from accord.io import InputError
    from accord.text import article_sentences

    failed = 0
    for f in files:
        try:
            sentences = article_sentences(f)
        except InputError as exc:
            err(f"error: {exc}")
            failed += 1
            continue
        for i, s in enumerate(sentences):
            sys.stdout.write(json.dumps({"article_id": f.stem, "sentence_index": i, "text": s},
                                        ensure_ascii=False) + "\n")
    if failed:
        raise typer.Exit(1)


@app.command("classify")
def classify_cmd(
    inputs: Annotated[list[str], typer.Argument(help="Files, folders, .jsonl, .csv, .parquet; - = stdin.")],
    out: Annotated[Path | None, typer.Option(help="Output file (default: stdout); errors go to OUT.errors.jsonl.")
                   ] = None,
    fmt: Annotated[str | None, typer.Option("--format", help="jsonl, csv or parquet (default: from --out).")] = None,
    unit: Annotated[str, typer.Option(help="article (split into sentences) or sentence (one record = one).")
                    ] = "article",
    model: Annotated[str | None, typer.Option(help="Classifier URI (default: models:/accord-classifier@champion).")
                     ] = None,
    briefs: Annotated[Path | None, typer.Option(help="Write one brief per article (JSONL).")] = None,
    report: Annotated[Path | None, typer.Option(help="Write a self-contained HTML report.")] = None,
    print_briefs: Annotated[bool, typer.Option(help="Print each brief readably on stdout (with --out).")] = False,
    engine: Annotated[str, typer.Option(help="local or spark.")] = "local",
    master: Annotated[str, typer.Option(help="Spark master for --engine spark.")] = "local[*]",
    max_bytes: MaxBytesOpt = 100_000_000,
    runtime: Annotated[str, typer.Option(help="How a MiniLM classifier runs: onnx (ONNX Runtime; exported once and "
                                                 "cached in models/onnx; a non-BERT base, e.g. gemma.yaml's, runs "
                                                 "in torch) or torch.")] = "onnx",
    precision: Annotated[str, typer.Option(help="fp32; int8 or bf16 (torch only): faster, less exact.")] = "fp32",
    summaries: SummariesOpt = "article",
    agreement_draws: AgreementOpt = None,
    raw_csv: RawCsvOpt = False,
    trust_model: TrustOpt = False,
    tracking_uri: TrackingOpt = None,
    quiet: QuietOpt = False,
    verbose: VerboseOpt = False,
) -> None:
    """Classify every sentence of new articles; optionally write per-article briefs and an HTML report.

    Bad inputs are named (file:line) on stderr and in OUT.errors.jsonl; the rest is processed; exit 1 if any failed.
    """
    from accord.batch.classify import ENGINES, ClassifyOptions, run

    opts = ClassifyOptions(inputs, out, fmt, unit, briefs=briefs, report=report, print_briefs=print_briefs,
                           max_bytes=max_bytes, runtime=runtime, precision=precision, tracking_uri=tracking_uri,
                           quiet=quiet, summaries=summaries, verbose=verbose, raw_csv=raw_csv, trust_model=trust_model,
                           agreement_draws=agreement_draws)
    if model:
        opts.model_uri = model
    if engine == "spark":
        from accord.batch.spark import run_spark

        code = run_spark(opts, master, err=err)
    elif engine == "local":
        code = run(opts, err=err)
    else:
        err(f"error: --engine must be one of {ENGINES}, got {engine!r}")
        code = 2
    if code:
        raise typer.Exit(code)


@app.command("summarise")
def summarise_cmd(
    inputs: Annotated[list[str], typer.Argument(help=".txt/.md files or folders (one article each), or JSONL.")],
    out: Annotated[Path | None, typer.Option(help="Output JSONL (default: stdout); errors go to OUT.errors.jsonl.")
                   ] = None,
    text_field: Annotated[str, typer.Option(help="JSONL field holding the article text.")] = "text",
    model: Annotated[str | None, typer.Option(help="Summariser URI (default: models:/accord-summariser@champion).")
                     ] = None,
    max_bytes: MaxBytesOpt = 100_000_000,
    agreement_draws: Annotated[int, typer.Option(help=(
        "Also check each summary the checks pass against this many draws of the summariser, as briefs do "
        "(0: the checks only; each draw costs about one more summary)."))] = 0,
    trust_model: TrustOpt = False,
    tracking_uri: TrackingOpt = None,
    quiet: QuietOpt = False,
    verbose: VerboseOpt = False,
) -> None:
    """Summarise articles: one {"id", "summary", "problems"} JSON line each (problems: why a brief would not show
    the summary); bad inputs named and skipped, exit 1 if any."""
    from accord import tracking
    from accord.batch.summarise import run

    code = run(inputs, out, model or tracking.SUMMARISER_URI, text_field, max_bytes, quiet, tracking_uri, err=err,
               verbose=verbose, trust_model=trust_model, agreement_draws=agreement_draws)
    if code:
        raise typer.Exit(code)


@app.command("ui")
def ui_cmd(
    tracking_uri: TrackingOpt = None,
    host: Annotated[str, typer.Option(help="Interface to listen on (keep 127.0.0.1 unless you mean it).")
                    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port.", min=1, max=65535)] = 5000,
    open_browser: Annotated[bool | None, typer.Option("--open/--no-open", help=(
        "Open the runs page in a browser once the server answers (default: where a desktop session exists)."))
                            ] = None,
) -> None:
    """Start the MLflow UI on the project's store and print the pages to open (runs, metrics, images, models)."""
    from accord.tracking import ui_links
    from accord.ui import serve

    base = f"http://{host}:{port}"
    links = ui_links(base, tracking_uri)
    typer.echo(f"MLflow UI on {base} (Ctrl-C stops it). Open:", err=True)
    for what, link in links:
        typer.echo(f"  {what}: {link}", err=True)
    code = serve(tracking_uri, host, port, links[0][1], open_browser)
    if code:
        raise typer.Exit(code)
