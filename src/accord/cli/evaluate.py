"""``accord evaluate``: any model URI as an MLflow evaluation run."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from accord import paths
from accord.cli.common import (
    ConfigOpt,
    DataConfigOpt,
    Overrides,
    TrackingOpt,
    TrustOpt,
    err,
    evaluate_app,
    load,
    read_store,
    store_failures,
)


@evaluate_app.command("classifier")
def evaluate_classifier_cmd(
    model_uri: Annotated[str | None, typer.Option(help="Any MLflow model URI (default: the champion).")] = None,
    split: Annotated[str, typer.Option(help="train, real_validation, real_test, curated_validation, curated_test "
                                            "or seed.")] = "real_test",
    data: Annotated[Path | None, typer.Option(help="Labelled JSONL ({text, labels}) instead of a split.")] = None,
    data_config: DataConfigOpt = paths.DATA_CONFIG_FILE,
    tracking_uri: TrackingOpt = None,
    trust_model: TrustOpt = False,
) -> None:
    """Evaluate a classifier on a split or a labelled JSONL, print the report and log an evaluation run."""
    from mlflow.exceptions import MlflowException

    from accord.classify.evaluate import EvalConfig, evaluate
    from accord.config import ConfigError, check
    from accord.io import InputError
    from accord.tracking import ModelNotFound

    cfg = load(EvalConfig, None, [], data_config)
    cfg.split, cfg.data_file, cfg.model_uri = split, str(data or ""), model_uri or cfg.model_uri
    try:
        check(cfg)
    except ConfigError as exc:
        err(f"error: --{exc}")
        raise typer.Exit(2) from None
    read_store(tracking_uri, cfg.model_uri, trust_model)
    try:
        with store_failures(tracking_uri):
            _, result = evaluate(cfg, tracking_uri)
    except (InputError, ValueError, ModelNotFound) as exc:
        for e in getattr(exc, "errors", []):  # each bad line of a --data file with no usable rows
            err(f"error: {e}")
        err(f"error: {exc}")
        raise typer.Exit(1) from None
    except MlflowException as exc:
        err(f"error: cannot load {cfg.model_uri}: {exc.message}. Run `make run` or the training script first.")
        raise typer.Exit(1) from None
    for e in result.errors:
        err(f"skipped: {e}")
    typer.echo(result.report)
    typer.echo(f"logged evaluation run {result.run_id}")
    if result.errors:
        raise typer.Exit(1)


@evaluate_app.command("summariser")
def evaluate_summariser_cmd(
    config: ConfigOpt = None,
    data_config: DataConfigOpt = paths.DATA_CONFIG_FILE,
    tracking_uri: TrackingOpt = None,
    overrides: Overrides = None,
) -> None:
    """Compare the summarisers (fine-tuned, untuned base, lead-1, TextRank) on the test sets; write the report."""
    from accord.io import InputError
    from accord.summarise.evaluate import EvalConfig, evaluate, render_markdown, write_reports
    from accord.tracking import ModelNotFound

    cfg = load(EvalConfig, config, overrides, data_config)
    read_store(tracking_uri)
    try:
        with store_failures(tracking_uri):
            _, result = evaluate(cfg, tracking_uri)
    except (InputError, ModelNotFound) as exc:
        err(f"error: {exc}")
        raise typer.Exit(1) from None
    path = write_reports(result, name=cfg.report)
    typer.echo(render_markdown(result))
    typer.echo(f"wrote {path}")
