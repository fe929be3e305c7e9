"""What the ``accord`` command's modules share: the Typer apps, the option types and the helpers that turn
bad input and store failures into one ``error:`` line and an exit code."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import typer

from accord import paths, storage

app = typer.Typer(help="Accord: diplomatic news to labelled sentences, briefs and tracked models.",
                  no_args_is_help=True, pretty_exceptions_enable=False)
data_app = typer.Typer(help="Build, validate and describe the labelled corpus and datasets.", no_args_is_help=True)
train_app = typer.Typer(help="Train models, tracked in MLflow.", no_args_is_help=True)
evaluate_app = typer.Typer(help="Evaluate models as MLflow evaluation runs.", no_args_is_help=True)
review_app = typer.Typer(help="Label the sentences a classified output is least sure of, and add them to data/real/.",
                         no_args_is_help=True)
benchmark_app = typer.Typer(help="Measure speed on this machine; reports go to evaluation/reports/.",
                            no_args_is_help=True)
for _sub, _name in ((data_app, "data"), (train_app, "train"), (evaluate_app, "evaluate"),
                    (benchmark_app, "benchmark"), (review_app, "review")):
    app.add_typer(_sub, name=_name)

ConfigOpt = Annotated[Path | None, typer.Option("--config", "-c", help="YAML config file.")]
Overrides = Annotated[list[str] | None, typer.Argument(help="key=value overrides (section.key=value also works).")]
TrackingOpt = Annotated[str | None, typer.Option(
    "--tracking-uri", help="MLflow tracking URI (default: $MLFLOW_TRACKING_URI or sqlite:///mlflow.db).")]
DataConfigOpt = Annotated[Path | None, typer.Option("--data-config", help="YAML file for the data section.")]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar or summary line.")]
VerboseOpt = Annotated[bool, typer.Option("--verbose", "-v", help="Report the start-up time (to the first article) "
                                                                  "and the time of each phase on stderr.")]
MaxBytesOpt = Annotated[int, typer.Option(help="Refuse an article over this many bytes.", min=1)]
TrustOpt = Annotated[bool, typer.Option(help="Load --model from a path outside the project's MLflow store: a model "
                                             "is code (its pickles run when it loads), so only one you trust.")]
SummariesOpt = Annotated[str, typer.Option(help="What briefs summarise: none (no summariser), article (one summary "
                                               "each) or all (each category's sentences too).")]
AgreementOpt = Annotated[int | None, typer.Option(help=(
    "Draws each brief summary is checked against; one its draws disagree with shows the extract (default: the "
    "summariser's setting, 3; 0: off, faster)."))]
RawCsvOpt = Annotated[bool, typer.Option(help="Write CSV cells as they are (by default a cell starting with = + - @ "
                                              "tab or CR gets a ' so a spreadsheet does not run it as a formula).")]


def err(message: str) -> None:
    """A line on stderr, without escape sequences or bidi overrides (messages quote file names and article text)."""
    from accord.io import terminal_safe

    typer.echo(terminal_safe(message), err=True)


def read_store(tracking_uri: str | None, model_uri: str | None = None, trust: bool = False) -> None:
    """Before a command that reads the store: a refused ``--model`` exits 2; a missing, locked or damaged store
    exits 1 (a mistyped ``--tracking-uri`` would otherwise create an empty store)."""
    problem = storage.model_uri_problem(model_uri, tracking_uri, trust) if model_uri else None
    if problem:
        err(f"error: {problem}")
        raise typer.Exit(2)
    problem = storage.store_problem(tracking_uri)
    if problem:
        err(f"error: {problem}")
        if problem.startswith(storage.NO_STORE):
            err("error: Run `make run` or the training script first to make a store, or fix the path")
        raise typer.Exit(1)


@contextlib.contextmanager
def store_failures(tracking_uri: str | None) -> Iterator[None]:
    """A failure of the tracking store (locked by another process, damaged) as one ``error:`` line, exit 1; a store
    that will be written is checked first (it may be new)."""
    problem = storage.store_problem(tracking_uri, must_exist=False)
    if problem:
        err(f"error: {problem}")
        raise typer.Exit(1)
    try:
        yield
    except Exception as exc:  # SQLAlchemy, sqlite3 and MLflow raise their own types; only store failures are caught
        message = storage.store_error_message(exc, tracking_uri)
        if message is None:
            raise
        err(f"error: {message}")
        raise typer.Exit(1) from None


def load(cls: type, config: Path | None, overrides: list[str] | None, data_config: Path | None = None) -> Any:
    """``cls`` from its defaults, the data file, the config file and the overrides; a bad one exits 2."""
    from accord.config import ConfigError, load_config

    sections = {"data": data_config} if data_config is not None and data_config.exists() else None
    try:
        return load_config(cls, config, overrides, sections)
    except ConfigError as exc:
        err(f"error: {exc}")
        raise typer.Exit(2) from None


def read_data_config(config: Path | None, overrides: list[str] | None) -> Any:
    from accord.data.datasets import DataConfig

    return load(DataConfig, config, overrides)


def gate_verdict(decision: Any) -> str:
    """What the gate did, in the words every command prints."""
    if decision and decision.promoted:
        return "promoted to @champion"
    return f"champion stays v{decision.champion_version if decision else '?'}"


def echo_gate(model_name: str, version: str | None, decision: Any) -> None:
    """The gate's verdict, and its reason where it compared the new version with a champion (both scores, the share
    of paired resamples won, the interval): what an engineer reads before opening the MLflow UI."""
    if version:
        typer.echo(f"registered {model_name} version {version}: {gate_verdict(decision)}")
        if decision is not None and decision.champion_score is not None:
            typer.echo(f"  gate: {decision.reason}")


def train_or_exit(train: Any, cfg: Any, tracking_uri: str | None, register: bool) -> tuple[Any, Any]:
    """``train(cfg)``; bad data (a corpus line, an unreadable splits file) is named and exits 1, a setting found
    wrong only once the data is read (a registered member trained on other data) exits 2, no traceback."""
    from accord.config import ConfigError
    from accord.io import InputError

    try:
        with store_failures(tracking_uri):
            return train(cfg, tracking_uri, register=register)
    except InputError as exc:
        err(f"error: {exc}")
        raise typer.Exit(1) from None
    except ConfigError as exc:
        err(f"error: {exc}")
        raise typer.Exit(2) from None


def validate_or_exit(cfg: Any, what: str) -> None:
    """Print every corpus problem (file:line) and exit 1 if there are any."""
    from accord.data.config import real_split_settings, train_round_dirs
    from accord.data.corpus import validate
    from accord.data.real import read_frozen, read_heldout, read_kept_apart, round_errors, validate_real
    from accord.io import InputError

    errors = validate(Path(cfg.sentences_path), Path(cfg.reports_path), Path(cfg.seeds_dir))
    try:
        frozen = read_frozen(cfg.real_splits_path, real_split_settings(cfg))
    except InputError as exc:  # an unreadable splits file is one more problem to name, not a traceback
        errors.append(exc)
        frozen = None
    heldout, kept_apart = read_heldout(paths.HELDOUT_FILE), read_kept_apart(cfg.second_test_dir, errors)
    errors += validate_real(cfg.real_articles_path, cfg.real_sentences_path, heldout, frozen, kept_apart)
    errors += round_errors(cfg.real_articles_path, cfg.real_sentences_path, train_round_dirs(cfg), heldout, frozen,
                           kept_apart)
    for e in errors:
        err(str(e))
    if errors:
        err(f"{len(errors)} problem(s) {what}")
        raise typer.Exit(1)


def xsum_or_exit(path: str) -> None:
    """Exit 1, before a long build, where the XSum file is missing or unreadable (``ACCORD_XSUM`` mistyped)."""
    from accord.data.datasets import read_xsum
    from accord.io import InputError

    try:
        read_xsum(path)
    except InputError as exc:
        err(f"error: XSum file {exc}; set ACCORD_XSUM (or the override xsum_path=FILE) to the shared "
             "xsum-1000.jsonl")
        raise typer.Exit(1) from None
