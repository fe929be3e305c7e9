"""``accord benchmark``: speed reports under evaluation/reports/."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated

import typer

from accord import paths
from accord.cli.common import TrackingOpt, TrustOpt, benchmark_app, err, read_store


@benchmark_app.command("classifier")
def benchmark_classifier_cmd() -> None:
    """Training wall time per family and inference sentences/s by batch size."""
    from accord.classify.benchmark import render_markdown, run_benchmark, write_reports

    result = run_benchmark()
    typer.echo(render_markdown(result))
    typer.echo(f"wrote {write_reports(result)}")


@benchmark_app.command("classify")
def benchmark_classify_cmd(
    model: Annotated[str | None, typer.Option(help="A MiniLM classifier URI (default: the champion).")] = None,
    tracking_uri: TrackingOpt = None,
    n: Annotated[int, typer.Option(help="Sentences for the throughput rows.", min=1)] = 1000,
    rss_sizes: Annotated[str, typer.Option(help="Comma-separated sentence counts for peak RSS.")] = "1000,100000",
    rounds: Annotated[int, typer.Option(help="Interleaved speed rounds (the best one is reported).", min=1)] = 3,
    whole: Annotated[int, typer.Option(help="Sentences for whole processes, accord vs naive (0: skip).", min=0)
                     ] = 4000,
    trust_model: TrustOpt = False,
    report: Annotated[str, typer.Option(help="Report name: evaluation/reports/<report>.{json,md} (default: "
                                             "classify_benchmark; another name keeps that one).")] = "",
) -> None:
    """``accord classify``'s engine: every backend vs the naive way, their F1, peak RSS by input size, and a
    whole ``accord classify`` process against a whole naive one."""
    from accord import tracking
    from accord.batch.benchmark import render_markdown, run_benchmark, write_reports

    try:
        sizes = tuple(int(x) for x in rss_sizes.split(","))
    except ValueError:
        sizes = ()
    if not sizes or min(sizes) < 1:
        err(f"error: --rss-sizes must be positive whole numbers separated by commas, got {rss_sizes!r}")
        raise typer.Exit(2)
    if report and not re.fullmatch(r"\w[\w.-]*", report):
        err(f"error: --report is a file name under evaluation/reports/, got {report!r}")
        raise typer.Exit(2)
    read_store(tracking_uri, model, trust_model)
    try:
        result = run_benchmark(model or tracking.CLASSIFIER_URI, tracking_uri, n, sizes, rounds=rounds,
                               whole_sentences=whole)
    except (tracking.ModelNotFound, ValueError, RuntimeError) as exc:
        err(f"error: {exc}")
        raise typer.Exit(1) from None
    typer.echo(render_markdown(result))
    typer.echo(f"wrote {write_reports(result, *([paths.REPORTS_DIR / report] if report else []))}")


@benchmark_app.command("summariser")
def benchmark_summariser_cmd(
    model: Annotated[str | None, typer.Option(help="A neural summariser URI (default: the champion).")] = None,
    tracking_uri: TrackingOpt = None,
    articles: Annotated[int, typer.Option(help="Articles for the decoders: half short curated reports, half long "
                                               "real ones.", min=2)] = 50,
    briefs_articles: Annotated[int, typer.Option(help="Articles for `accord classify --briefs` end to end (0: "
                                                      "skip).", min=0)] = 1000,
    briefs_modes: Annotated[str | None, typer.Option(help="Comma-separated briefs rows: --summaries modes (none, "
                                                          "article, all), all-no-draws, article-no-draws, before "
                                                          "(the decoder and summaries before issue 13; default: "
                                                          "the three modes).")
                            ] = None,
    decoder: Annotated[list[str] | None, typer.Option(help="A decoder row to run, repeatable (default: all; the "
                                                          "constrained full-head decoder, the reference, always "
                                                          "runs).")] = None,
    cold_runs: Annotated[int, typer.Option(help="Warm runs per command after the first (cold) one.", min=1)] = 3,
    training: Annotated[bool, typer.Option(help="Also measure training seconds per step of each family.")] = False,
    report_dir: Annotated[Path, typer.Option(help="Where the report goes.")] = paths.REPORTS_DIR,
    trust_model: TrustOpt = False,
) -> None:
    """The decoders side by side (naive generate, constrained full head, sliced), cold start of each command, and
    `accord classify --briefs` end to end."""
    from accord import tracking
    from accord.batch.briefs import SUMMARY_MODES
    from accord.summarise.benchmark import BRIEFS_ROWS, DECODERS, render_markdown, run_benchmark, write_reports

    modes = tuple(m.strip() for m in briefs_modes.split(",")) if briefs_modes else SUMMARY_MODES
    rows = tuple(decoder) if decoder else tuple(DECODERS)
    if not set(modes) <= set(BRIEFS_ROWS):
        err(f"error: --briefs-modes must be a comma-separated choice of {BRIEFS_ROWS}, got {briefs_modes!r}")
        raise typer.Exit(2)
    if not set(rows) <= set(DECODERS):
        err(f"error: --decoder must be one of {tuple(DECODERS)}, got {sorted(set(rows) - set(DECODERS))}")
        raise typer.Exit(2)
    read_store(tracking_uri, model, trust_model)
    try:
        result = run_benchmark(modes, model or tracking.SUMMARISER_URI, tracking_uri, articles, briefs_articles,
                               cold_runs, training, rows)
    except (tracking.ModelNotFound, ValueError, RuntimeError) as exc:
        err(f"error: {exc}")
        raise typer.Exit(1) from None
    typer.echo(render_markdown(result))
    typer.echo(f"wrote {write_reports(result, report_dir)}")
