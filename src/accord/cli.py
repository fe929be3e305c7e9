"""The ``accord`` command.

    accord data validate          # check data/sentences.jsonl + data/reports.jsonl, file:line on every problem
    accord data build             # validate, build the DatasetDicts into data/processed/, print statistics
    accord data card              # regenerate data/DATASET.md
    accord split ARTICLE.txt ...  # print each article's clean sentences as JSON Lines
    accord train classifier -c training/configs/classifier/minilm.yaml epochs=3 data.seed=7
    accord evaluate classifier --model-uri models:/accord-classifier@champion --split seed
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from accord import paths, tracking

app = typer.Typer(help="Accord: diplomatic news to labelled sentences, briefs and tracked models.",
                  no_args_is_help=True, pretty_exceptions_enable=False)
data_app = typer.Typer(help="Build, validate and describe the labelled corpus and datasets.", no_args_is_help=True)
app.add_typer(data_app, name="data")
train_app = typer.Typer(help="Train models, tracked in MLflow.", no_args_is_help=True)
app.add_typer(train_app, name="train")
evaluate_app = typer.Typer(help="Evaluate models as MLflow evaluation runs.", no_args_is_help=True)
app.add_typer(evaluate_app, name="evaluate")

ConfigOpt = Annotated[Path | None, typer.Option("--config", "-c", help="YAML config file (DataConfig fields).")]
Overrides = Annotated[list[str] | None, typer.Argument(help="key=value overrides of the config.")]


def _err(message: str) -> None:
    typer.echo(message, err=True)


def _load(cls: type, config: Path | None, overrides: list[str] | None) -> Any:
    from accord.config import ConfigError, load_config

    try:
        return load_config(cls, config, overrides)
    except ConfigError as exc:
        _err(f"error: {exc}")
        raise typer.Exit(2) from None


def _data_config(config: Path | None, overrides: list[str] | None) -> Any:
    from accord.dataset import DataConfig

    return _load(DataConfig, config, overrides)


TrackingOpt = Annotated[str | None, typer.Option(
    "--tracking-uri", help="MLflow tracking URI (default: $MLFLOW_TRACKING_URI or sqlite:///mlflow.db).")]
DataConfigOpt = Annotated[Path | None, typer.Option("--data-config", help="YAML data config (DataConfig).")]


def _configs(cls: type, families: tuple[str, ...], config: Path | None, data_config: Path | None,
             overrides: list[str] | None, extra: list[str]) -> tuple[Any, Any]:
    """Model and data configs from files + ``key=value`` overrides (``data.`` prefix = data config)."""
    overrides = list(overrides or [])
    data_over = [o.removeprefix("data.") for o in overrides if o.startswith("data.")]
    cfg = _load(cls, config, [o for o in overrides if not o.startswith("data.")] + extra)
    data_cfg = _data_config(data_config if data_config and data_config.exists() else None, data_over)
    if cfg.family not in families:
        _err(f"error: family must be one of {families}, got {cfg.family!r}")
        raise typer.Exit(2)
    return cfg, data_cfg


def _echo_gate(model_name: str, version: str | None, decision: Any) -> None:
    if version:
        kept = f"champion stays v{decision.champion_version if decision else '?'}"
        verdict = "promoted to @champion" if decision and decision.promoted else kept
        typer.echo(f"registered {model_name} version {version}: {verdict}")


@train_app.command("classifier")
def train_classifier_cmd(
    config: Annotated[Path | None, typer.Option("--config", "-c", help="YAML classifier config.")] = None,
    data_config: DataConfigOpt = paths.TRAINING_DIR / "configs" / "data.yaml",
    tracking_uri: TrackingOpt = None,
    cv: Annotated[int | None, typer.Option(help="K-fold CV over the train reports, as nested runs.")] = None,
    register: Annotated[bool, typer.Option(help="Register the model and run the promotion gate.")] = True,
    overrides: Overrides = None,
) -> None:
    """Train a sentence classifier (tfidf or minilm), log everything to MLflow, register and gate it.

    Overrides are key=value on the classifier config; prefix data. for the data config (data.seed=7).
    """
    from accord.classifier import FAMILIES, ClassifierConfig
    from accord.train import train_classifier

    cfg, data_cfg = _configs(ClassifierConfig, FAMILIES, config, data_config, overrides,
                             [f"cv={cv}"] if cv is not None else [])
    result = train_classifier(cfg, data_cfg, tracking_uri, register=register)
    m = result.metrics
    typer.echo(f"run {result.run_id} ({cfg.family}): validation macro-F1 {m['validation_macro_f1']:.3f}, "
               f"test macro-F1 {m['test_macro_f1']:.3f}, seed wrong {int(m['seed_wrong_sentences'])}/"
               f"{int(m['seed_n_sentences'])}, train {m['train_time_s']:.1f}s")
    _echo_gate(tracking.CLASSIFIER, result.version, result.decision)


@train_app.command("summariser")
def train_summariser_cmd(
    config: Annotated[Path | None, typer.Option("--config", "-c", help="YAML summariser config.")] = None,
    data_config: DataConfigOpt = paths.TRAINING_DIR / "configs" / "data.yaml",
    tracking_uri: TrackingOpt = None,
    resume: Annotated[bool, typer.Option(help="Continue from the run's last checkpoint.")] = False,
    register: Annotated[bool, typer.Option(help="Register the model and run the promotion gate.")] = True,
    overrides: Overrides = None,
) -> None:
    """Fine-tune a summariser (causal LoRA or seq2seq), log to MLflow, register and gate it."""
    import logging

    from accord.summarise_train import train_summariser
    from accord.summariser import FAMILIES, SummariserConfig

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    cfg, data_cfg = _configs(SummariserConfig, FAMILIES, config, data_config, overrides,
                             ["resume=true"] if resume else [])
    result = train_summariser(cfg, data_cfg, tracking_uri, register=register)
    m = result.metrics
    typer.echo(f"run {result.run_id} ({cfg.family}, {result.steps} steps, {m['s_per_step']:.1f} s/step): "
               f"validation ROUGE-L {m['validation_rougeL']:.1f}, faithfulness {m['validation_faithfulness']:.2f}")
    _echo_gate(tracking.SUMMARISER, result.version, result.decision)


@evaluate_app.command("classifier")
def evaluate_classifier_cmd(
    model_uri: Annotated[str, typer.Option(help="Any MLflow model URI.")] = "models:/accord-classifier@champion",
    split: Annotated[str, typer.Option(help="train, validation, test or seed.")] = "test",
    data: Annotated[Path | None, typer.Option(help="Labelled JSONL ({text, labels}) instead of a split.")] = None,
    data_config: DataConfigOpt = paths.TRAINING_DIR / "configs" / "data.yaml",
    tracking_uri: TrackingOpt = None,
) -> None:
    """Evaluate a classifier on a split or a labelled JSONL, print the report and log an evaluation run."""
    from mlflow.exceptions import MlflowException

    from accord.evaluate import evaluate_classifier
    from accord.io import InputError

    data_cfg = _data_config(data_config if data_config and data_config.exists() else None, [])
    try:
        result = evaluate_classifier(model_uri, split, data, data_cfg, tracking_uri)
    except (InputError, ValueError) as exc:
        _err(f"error: {exc}")
        raise typer.Exit(1) from None
    except MlflowException as exc:
        _err(f"error: cannot load {model_uri}: {exc.message}. Run `make run` or the training script first.")
        raise typer.Exit(1) from None
    for e in result.errors:
        _err(f"skipped: {e}")
    typer.echo(result.report)
    typer.echo(f"logged evaluation run {result.run_id}")
    if result.errors:
        raise typer.Exit(1)




def _validate_or_exit(cfg: Any, what: str) -> None:
    """Print every corpus problem (file:line) and exit 1 if there are any."""
    from accord.corpus import validate

    errors = validate(Path(cfg.sentences_path), Path(cfg.reports_path), Path(cfg.seeds_dir))
    for e in errors:
        _err(str(e))
    if errors:
        _err(f"{len(errors)} problem(s) {what}")
        raise typer.Exit(1)


@data_app.command("validate")
def data_validate(config: ConfigOpt = None, overrides: Overrides = None) -> None:
    """Check schema, labels, duplicates, near-duplicates, seeds and minimum counts; exit 1 on any problem."""
    cfg = _data_config(config, overrides)
    _validate_or_exit(cfg, "found")
    typer.echo(f"ok: {cfg.sentences_path} and {cfg.reports_path} are valid")


@data_app.command("card")
def data_card(config: ConfigOpt = None, overrides: Overrides = None,
              out: Annotated[Path, typer.Option(help="Where to write the card.")] = paths.DATASET_CARD) -> None:
    """Regenerate the dataset card from the data."""
    from accord.card import render_card
    from accord.io import write_text_atomic

    write_text_atomic(out, render_card(_data_config(config, overrides)))
    typer.echo(f"wrote {out}")


@data_app.command("build")
def data_build(config: ConfigOpt = None, overrides: Overrides = None,
               out: Annotated[Path, typer.Option(help="Folder for the saved DatasetDicts.")] = paths.PROCESSED_DIR
               ) -> None:
    """Validate the corpus, build every DatasetDict, save them under OUT and print their statistics."""
    from accord.card import split_table
    from accord.corpus import load_corpus
    from accord.dataset import classification_datasets, lede_pairs, report_datasets, xsum_datasets

    cfg = _data_config(config, overrides)
    _validate_or_exit(cfg, "in the corpus; fix them and rerun")
    corpus = load_corpus(Path(cfg.sentences_path), Path(cfg.reports_path))
    built = {
        "classification": classification_datasets(cfg, corpus),
        "reports": report_datasets(cfg, corpus),
        "xsum": xsum_datasets(cfg),
    }
    for name, dd in built.items():
        dd.save_to_disk(str(out / name))
    ledes = lede_pairs(cfg.seeds_dir)
    ledes.save_to_disk(str(out / "seed_ledes"))
    typer.echo("Classification splits (sentences per label):")
    typer.echo(split_table(built["classification"]))
    for name in ("reports", "xsum"):
        sizes = ", ".join(f"{k} {len(v)}" for k, v in built[name].items())
        typer.echo(f"Summarisation {name}: {sizes}")
    typer.echo(f"Seed lede pairs: {len(ledes)}")
    typer.echo(f"Saved to {out}")


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
            _err(f"error: {exc}")
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
    max_bytes: Annotated[int, typer.Option(help="Refuse an article over this many bytes.")] = 100_000_000,
    runtime: Annotated[str, typer.Option(help="How a MiniLM classifier runs: onnx (ONNX Runtime; exported once and "
                                                 "cached in models/onnx) or torch.")] = "onnx",
    precision: Annotated[str, typer.Option(help="MiniLM weights: int8 (dynamic quantisation) or fp32.")] = "int8",
    tracking_uri: TrackingOpt = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar or summary line.")] = False,
) -> None:
    """Classify every sentence of new articles; optionally write per-article briefs and an HTML report.

    Bad inputs are named (file:line) on stderr and in OUT.errors.jsonl; the rest is processed; exit 1 if any failed.
    """
    from accord import batch

    model = model or batch.DEFAULT_MODEL
    if engine == "spark":
        from accord.spark import run_spark

        code = run_spark(inputs, out, fmt, unit, model, master, tracking_uri, quiet,
                         briefs=bool(briefs or report or print_briefs), err=_err)
    elif engine == "local":
        code = batch.run(inputs, out, fmt, unit, model, briefs, report, max_bytes, quiet, tracking_uri,
                         print_briefs=print_briefs, runtime=runtime, precision=precision, err=_err)
    else:
        _err(f"error: --engine must be one of {batch.ENGINES}, got {engine!r}")
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
    max_bytes: Annotated[int, typer.Option(help="Refuse an article over this many bytes.")] = 100_000_000,
    tracking_uri: TrackingOpt = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar or summary line.")] = False,
) -> None:
    """Summarise articles: one {"id", "summary"} JSON line each; bad inputs named and skipped, exit 1 if any."""
    from accord import batch

    code = batch.summarise_run(inputs, out, model or batch.DEFAULT_SUMMARISER, text_field, max_bytes, quiet,
                               tracking_uri, err=_err)
    if code:
        raise typer.Exit(code)


@app.command("ui")
def ui_cmd(
    tracking_uri: TrackingOpt = None,
    host: Annotated[str, typer.Option(help="Interface to listen on (keep 127.0.0.1 unless you mean it).")
                    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port.")] = 5000,
) -> None:
    """Start the MLflow UI on the project's store: runs, metrics, eval images, registered models and aliases."""
    import subprocess

    from accord.tracking import server_command

    typer.echo(f"MLflow UI on http://{host}:{port} (Ctrl-C stops it)", err=True)
    try:
        code = subprocess.call(server_command(tracking_uri, host, port))
    except KeyboardInterrupt:
        code = 0
    if code:
        raise typer.Exit(code)


if __name__ == "__main__":
    app()
