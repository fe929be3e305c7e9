"""The ``accord`` command: a thin layer over the library (every import is lazy, so ``--help`` is instant).

    accord split ARTICLE.txt ...                          # clean sentences as JSON Lines
    accord data validate | build | card                   # the labelled corpus and its datasets
    accord train classifier -c training/configs/classifier/minilm.yaml minilm.epochs=3 data.seed=7
    accord train summariser -c training/configs/summariser/quick.yaml
    accord evaluate classifier --split seed               # an MLflow evaluation run of any model URI
    accord evaluate summariser xsum_limit=50              # the summarisers side by side on the test sets
    accord benchmark classifier | classify | summariser   # speed reports under evaluation/reports/
    accord classify news/ --out labelled.jsonl --briefs briefs.jsonl --report page.html
    accord summarise news/ --out summaries.jsonl
    accord ui                                             # the MLflow UI over the project's store
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import typer

from accord import paths

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


def _err(message: str) -> None:
    """A line on stderr, without escape sequences or bidi overrides (messages quote file names and article text)."""
    from accord.io import terminal_safe

    typer.echo(terminal_safe(message), err=True)


def _read_store(tracking_uri: str | None, model_uri: str | None = None, trust: bool = False) -> None:
    """Before a command that reads the store: a refused ``--model`` exits 2; a missing, locked or damaged store
    exits 1 (a mistyped ``--tracking-uri`` would otherwise create an empty store)."""
    from accord import tracking

    problem = tracking.model_uri_problem(model_uri, tracking_uri, trust) if model_uri else None
    if problem:
        _err(f"error: {problem}")
        raise typer.Exit(2)
    problem = tracking.store_problem(tracking_uri)
    if problem:
        _err(f"error: {problem}")
        if problem.startswith(tracking.NO_STORE):
            _err("error: Run `make run` or the training script first to make a store, or fix the path")
        raise typer.Exit(1)


@contextlib.contextmanager
def _store_failures(tracking_uri: str | None) -> Iterator[None]:
    """A failure of the tracking store (locked by another process, damaged) as one ``error:`` line, exit 1; a store
    that will be written is checked first (it may be new)."""
    from accord import tracking

    problem = tracking.store_problem(tracking_uri, must_exist=False)
    if problem:
        _err(f"error: {problem}")
        raise typer.Exit(1)
    try:
        yield
    except Exception as exc:  # SQLAlchemy, sqlite3 and MLflow raise their own types; only store failures are caught
        message = tracking.store_error_message(exc, tracking_uri)
        if message is None:
            raise
        _err(f"error: {message}")
        raise typer.Exit(1) from None


def _load(cls: type, config: Path | None, overrides: list[str] | None, data_config: Path | None = None) -> Any:
    """``cls`` from its defaults, the data file, the config file and the overrides; a bad one exits 2."""
    from accord.config import ConfigError, load_config

    sections = {"data": data_config} if data_config is not None and data_config.exists() else None
    try:
        return load_config(cls, config, overrides, sections)
    except ConfigError as exc:
        _err(f"error: {exc}")
        raise typer.Exit(2) from None


def _data_config(config: Path | None, overrides: list[str] | None) -> Any:
    from accord.data.datasets import DataConfig

    return _load(DataConfig, config, overrides)


def _gate_verdict(decision: Any) -> str:
    """What the gate did, in the words every command prints."""
    if decision and decision.promoted:
        return "promoted to @champion"
    return f"champion stays v{decision.champion_version if decision else '?'}"


def _echo_gate(model_name: str, version: str | None, decision: Any) -> None:
    if version:
        typer.echo(f"registered {model_name} version {version}: {_gate_verdict(decision)}")


def _train_or_exit(train: Any, cfg: Any, tracking_uri: str | None, register: bool) -> tuple[Any, Any]:
    """``train(cfg)``; bad data (a corpus line, an unreadable splits file) is named and exits 1, no traceback."""
    from accord.io import InputError

    try:
        with _store_failures(tracking_uri):
            return train(cfg, tracking_uri, register=register)
    except InputError as exc:
        _err(f"error: {exc}")
        raise typer.Exit(1) from None


@train_app.command("classifier")
def train_classifier_cmd(
    config: ConfigOpt = None,
    data_config: DataConfigOpt = paths.DATA_CONFIG_FILE,
    tracking_uri: TrackingOpt = None,
    cv: Annotated[int | None, typer.Option(help="K-fold CV over the train reports, as nested runs.", min=2)] = None,
    register: Annotated[bool, typer.Option(help="Register the model and run the promotion gate.")] = True,
    overrides: Overrides = None,
) -> None:
    """Train a sentence classifier (tfidf or minilm), log everything to MLflow, register and gate it."""
    from accord import tracking
    from accord.classify.config import ClassifierConfig
    from accord.classify.train import train

    cfg = _load(ClassifierConfig, config, [*(overrides or []), *([f"cv={cv}"] if cv is not None else [])],
                data_config)
    m, objects = _train_or_exit(train, cfg, tracking_uri, register)
    typer.echo(f"run {objects.run_id} ({cfg.family}): macro-F1 real validation {m['real_validation/macro_f1']:.3f}, "
               f"real test {m['real_test/macro_f1']:.3f}, curated test {m['curated_test/macro_f1']:.3f}; seed wrong "
               f"{int(m['seed/wrong_sentences'])}/{int(m['seed/n_sentences'])}; train {m['time/train_s']:.1f}s")
    _echo_gate(tracking.CLASSIFIER, objects.version, objects.decision)


@train_app.command("gate")
def train_gate_cmd(
    version: Annotated[str, typer.Argument(help="The registered accord-classifier version to gate again.")],
    data_config: DataConfigOpt = paths.DATA_CONFIG_FILE,
    tracking_uri: TrackingOpt = None,
) -> None:
    """Gate a registered classifier again against today's champion on today's validation labels (the training rule:
    a higher score, won in 90% of paired article resamples); for a champion or labels that changed since."""
    from accord import tracking
    from accord.classify.train import regate

    try:
        with _store_failures(tracking_uri):
            decision = regate(version, tracking_uri,
                              _data_config(data_config if data_config and data_config.exists() else None, None))
    except tracking.ModelNotFound as exc:
        _err(f"error: {exc}")
        raise typer.Exit(1) from None
    if decision.champion_version == str(version):
        typer.echo(f"{tracking.CLASSIFIER} version {version} is already @champion")
        return
    typer.echo(f"{tracking.CLASSIFIER} version {version}: {_gate_verdict(decision)}\n{decision.reason}")


@train_app.command("summariser")
def train_summariser_cmd(
    config: ConfigOpt = None,
    data_config: DataConfigOpt = paths.DATA_CONFIG_FILE,
    tracking_uri: TrackingOpt = None,
    resume: Annotated[bool, typer.Option(help="Continue from the run's last checkpoint.")] = False,
    register: Annotated[bool, typer.Option(help="Register the model and run the promotion gate.")] = True,
    overrides: Overrides = None,
) -> None:
    """Fine-tune a summariser (causal LoRA or seq2seq), log to MLflow, register and gate it."""
    import logging

    from accord import tracking
    from accord.summarise.config import SummariserConfig
    from accord.summarise.train import train

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    cfg = _load(SummariserConfig, config, [*(overrides or []), *(["training.resume=true"] if resume else [])],
                data_config)
    m, objects = _train_or_exit(train, cfg, tracking_uri, register)
    typer.echo(f"run {objects.run_id} ({cfg.model.family}, {objects.steps} steps, {m['time/s_per_step']:.1f} s/step): "
               f"real validation ROUGE-L {m['real_validation/rougeL']:.1f}, clean "
               f"{m['real_validation/clean_rate']:.2f}")
    _echo_gate(tracking.SUMMARISER, objects.version, objects.decision)


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

    cfg = _load(EvalConfig, None, [], data_config)
    cfg.split, cfg.data_file, cfg.model_uri = split, str(data or ""), model_uri or cfg.model_uri
    try:
        check(cfg)
    except ConfigError as exc:
        _err(f"error: --{exc}")
        raise typer.Exit(2) from None
    _read_store(tracking_uri, cfg.model_uri, trust_model)
    try:
        with _store_failures(tracking_uri):
            _, result = evaluate(cfg, tracking_uri)
    except (InputError, ValueError, ModelNotFound) as exc:
        for e in getattr(exc, "errors", []):  # each bad line of a --data file with no usable rows
            _err(f"error: {e}")
        _err(f"error: {exc}")
        raise typer.Exit(1) from None
    except MlflowException as exc:
        _err(f"error: cannot load {cfg.model_uri}: {exc.message}. Run `make run` or the training script first.")
        raise typer.Exit(1) from None
    for e in result.errors:
        _err(f"skipped: {e}")
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

    cfg = _load(EvalConfig, config, overrides, data_config)
    _read_store(tracking_uri)
    try:
        with _store_failures(tracking_uri):
            _, result = evaluate(cfg, tracking_uri)
    except (InputError, ModelNotFound) as exc:
        _err(f"error: {exc}")
        raise typer.Exit(1) from None
    path = write_reports(result, name=cfg.report)
    typer.echo(render_markdown(result))
    typer.echo(f"wrote {path}")


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
        _err(f"error: --rss-sizes must be positive whole numbers separated by commas, got {rss_sizes!r}")
        raise typer.Exit(2)
    _read_store(tracking_uri, model, trust_model)
    try:
        result = run_benchmark(model or tracking.CLASSIFIER_URI, tracking_uri, n, sizes, rounds=rounds,
                               whole_sentences=whole)
    except (tracking.ModelNotFound, ValueError, RuntimeError) as exc:
        _err(f"error: {exc}")
        raise typer.Exit(1) from None
    typer.echo(render_markdown(result))
    typer.echo(f"wrote {write_reports(result)}")


@benchmark_app.command("summariser")
def benchmark_summariser_cmd(
    model: Annotated[str | None, typer.Option(help="A neural summariser URI (default: the champion).")] = None,
    tracking_uri: TrackingOpt = None,
    articles: Annotated[int, typer.Option(help="Articles for the decoders: half short curated reports, half long "
                                               "real ones.", min=2)] = 50,
    briefs_articles: Annotated[int, typer.Option(help="Articles for `accord classify --briefs` end to end (0: "
                                                      "skip).", min=0)] = 1000,
    briefs_modes: Annotated[str | None, typer.Option(help="Comma-separated --summaries modes to run it with "
                                                          "(default: every mode).")] = None,
    cold_runs: Annotated[int, typer.Option(help="Warm runs per command after the first (cold) one.", min=1)] = 3,
    training: Annotated[bool, typer.Option(help="Also measure training seconds per step of each family.")] = False,
    report_dir: Annotated[Path, typer.Option(help="Where the report goes.")] = paths.REPORTS_DIR,
    trust_model: TrustOpt = False,
) -> None:
    """The decoders side by side (naive generate, constrained full head, sliced), cold start of each command, and
    `accord classify --briefs` end to end."""
    from accord import tracking
    from accord.batch.briefs import SUMMARY_MODES
    from accord.summarise.benchmark import render_markdown, run_benchmark, write_reports

    modes = tuple(m.strip() for m in briefs_modes.split(",")) if briefs_modes else SUMMARY_MODES
    if not set(modes) <= set(SUMMARY_MODES):
        _err(f"error: --briefs-modes must be a comma-separated choice of {SUMMARY_MODES}, got {briefs_modes!r}")
        raise typer.Exit(2)
    _read_store(tracking_uri, model, trust_model)
    try:
        result = run_benchmark(modes, model or tracking.SUMMARISER_URI, tracking_uri, articles, briefs_articles,
                               cold_runs, training)
    except (tracking.ModelNotFound, ValueError, RuntimeError) as exc:
        _err(f"error: {exc}")
        raise typer.Exit(1) from None
    typer.echo(render_markdown(result))
    typer.echo(f"wrote {write_reports(result, report_dir)}")


@review_app.command("export")
def review_export_cmd(
    classified: Annotated[list[Path], typer.Argument(help="accord classify outputs (JSONL, CSV or Parquet).")],
    out: Annotated[Path, typer.Option(help="The sheet: OUT.csv and OUT.jsonl are written.")] = Path("review-sheet.csv"),
    n: Annotated[int, typer.Option(help="How many sentences to pick.", min=1)] = 50,
    model: Annotated[str | None, typer.Option(help="The classifier that made the output (its thresholds; default: "
                                                   "the champion).")] = None,
    second_model: Annotated[str | None, typer.Option(help="A second classifier: sentences it labels differently "
                                                          "come first.")] = None,
    tracking_uri: TrackingOpt = None,
    trust_model: TrustOpt = False,
) -> None:
    """Write a labelling sheet of the N sentences the classifier is least sure of (margin to its thresholds,
    disagreement with a second model)."""
    from accord import tracking
    from accord.classify.predictor import Predictor
    from accord.data.review import labelled_sheet, read_classified, select_uncertain, sheet_rows, write_sheet

    taken = labelled_sheet(out)
    if taken is not None:
        _err(f"error: {taken} already holds gold labels (or cannot be read); import it first "
             "(`accord review import`) or choose another --out. Nothing was written.")
        raise typer.Exit(2)
    for uri in dict.fromkeys((model, second_model)):  # the store is checked once when neither is given
        _read_store(tracking_uri, uri, trust_model)
    rows, errors = [], []
    for path in classified:
        got, bad = read_classified(path)
        rows, errors = rows + got, errors + bad
    for e in errors:
        _err(f"error: {e}")
    if not rows:
        _err("error: no classified sentences to pick from; nothing was written")
        raise typer.Exit(1)
    try:
        primary = Predictor(tracking.load_model(model or tracking.CLASSIFIER_URI, tracking_uri))
        second = Predictor(tracking.load_model(second_model, tracking_uri)) if second_model else None
    except tracking.ModelNotFound as exc:
        _err(f"error: {exc}")
        raise typer.Exit(1) from None
    thresholds = getattr(primary.scorer, "thresholds", None)
    selected = select_uncertain(rows, thresholds if thresholds is not None else 0.5, n,
                                (lambda texts: second(texts)[1]) if second else None)
    csv_path, jsonl_path = write_sheet(sheet_rows(selected), out)
    typer.echo(f"wrote {len(selected)} sentences to {csv_path} and {jsonl_path}: fill the gold_ columns (1 = has the "
               "label, 0 = not; all 0 = other), then run `accord review import`")
    if errors:
        raise typer.Exit(1)


@review_app.command("import")
def review_import_cmd(
    sheet: Annotated[Path, typer.Argument(help="A filled sheet (CSV or JSONL) from `accord review export`.")],
    data_config: DataConfigOpt = paths.DATA_CONFIG_FILE,
) -> None:
    """Check a filled sheet and add its sentences to data/real/ (all or nothing); the next training uses them."""
    import datetime

    from accord.data.datasets import DataConfig
    from accord.data.review import append_reviewed, known_texts, read_sheet

    cfg = _load(DataConfig, data_config if data_config and data_config.exists() else None, [])
    reviewed, errors = read_sheet(sheet, known_texts(cfg.real_sentences_path))
    for e in errors:
        _err(f"error: {e}")
    if errors:
        _err(f"{len(errors)} problem(s) in {sheet}; nothing was added")
        raise typer.Exit(1)
    added = append_reviewed(reviewed, cfg.real_sentences_path,
                            {"sheet": str(sheet), "imported": datetime.date.today().isoformat()})
    typer.echo(f"added {added} reviewed sentences to {cfg.real_sentences_path}; `accord train classifier` uses them "
               "(training split) and the gate decides")


def _validate_or_exit(cfg: Any, what: str) -> None:
    """Print every corpus problem (file:line) and exit 1 if there are any."""
    from accord.data.config import real_split_settings
    from accord.data.corpus import validate
    from accord.data.real import read_frozen, read_heldout, read_kept_apart, validate_real
    from accord.io import InputError

    errors = validate(Path(cfg.sentences_path), Path(cfg.reports_path), Path(cfg.seeds_dir))
    try:
        frozen = read_frozen(cfg.real_splits_path, real_split_settings(cfg))
    except InputError as exc:  # an unreadable splits file is one more problem to name, not a traceback
        errors.append(exc)
        frozen = None
    errors += validate_real(cfg.real_articles_path, cfg.real_sentences_path, read_heldout(paths.HELDOUT_FILE), frozen,
                            read_kept_apart(cfg.second_test_dir, errors))
    for e in errors:
        _err(str(e))
    if errors:
        _err(f"{len(errors)} problem(s) {what}")
        raise typer.Exit(1)


def _xsum_or_exit(path: str) -> None:
    """Exit 1, before a long build, where the XSum file is missing or unreadable (``ACCORD_XSUM`` mistyped)."""
    from accord.data.datasets import read_xsum
    from accord.io import InputError

    try:
        read_xsum(path)
    except InputError as exc:
        _err(f"error: XSum file {exc}; set ACCORD_XSUM (or the override xsum_path=FILE) to the shared "
             "xsum-1000.jsonl")
        raise typer.Exit(1) from None


@data_app.command("validate")
def data_validate(config: ConfigOpt = None, overrides: Overrides = None) -> None:
    """Check schema, labels, duplicates, near-duplicates, seeds and minimum counts; exit 1 on any problem."""
    cfg = _data_config(config, overrides)
    _validate_or_exit(cfg, "found")
    real = Path(cfg.real_articles_path).parent
    typer.echo(f"ok: {cfg.sentences_path}, {cfg.reports_path} and the real corpus in {real} are valid")


@data_app.command("card")
def data_card(config: ConfigOpt = None, overrides: Overrides = None,
              out: Annotated[Path, typer.Option(help="Where to write the card.")] = paths.DATASET_CARD) -> None:
    """Regenerate the dataset card from the data."""
    from accord.data.card import render_card
    from accord.io import write_text_atomic

    cfg = _data_config(config, overrides)
    _validate_or_exit(cfg, "in the corpus; fix them and rerun")
    write_text_atomic(out, render_card(cfg))
    typer.echo(f"wrote {out}")


@data_app.command("build")
def data_build(config: ConfigOpt = None, overrides: Overrides = None,
               out: Annotated[Path, typer.Option(help="Folder for the saved DatasetDicts.")] = paths.PROCESSED_DIR
               ) -> None:
    """Validate the corpus, build every DatasetDict, save them under OUT and print their statistics."""
    from accord.data.card import split_table
    from accord.data.corpus import load_corpus
    from accord.data.datasets import classification_datasets, lede_pairs, report_datasets, xsum_datasets

    cfg = _data_config(config, overrides)
    _xsum_or_exit(cfg.xsum_path)
    _validate_or_exit(cfg, "in the corpus; fix them and rerun")
    corpus = load_corpus(Path(cfg.sentences_path), Path(cfg.reports_path))
    built = {"classification": classification_datasets(cfg, corpus), "reports": report_datasets(cfg, corpus),
             "xsum": xsum_datasets(cfg)}
    for name, dd in built.items():
        dd.save_to_disk(str(out / name))
    ledes = lede_pairs(cfg.seeds_dir)
    ledes.save_to_disk(str(out / "seed_ledes"))
    typer.echo("Classification splits (sentences per label):")
    typer.echo(split_table(built["classification"]))
    for name in ("reports", "xsum"):
        typer.echo(f"Summarisation {name}: " + ", ".join(f"{k} {len(v)}" for k, v in built[name].items()))
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
    max_bytes: MaxBytesOpt = 100_000_000,
    runtime: Annotated[str, typer.Option(help="How a MiniLM classifier runs: onnx (ONNX Runtime; exported once and "
                                                 "cached in models/onnx) or torch.")] = "onnx",
    precision: Annotated[str, typer.Option(help="MiniLM weights: fp32, or int8 (faster, less accurate).")] = "fp32",
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

        code = run_spark(opts, master, err=_err)
    elif engine == "local":
        code = run(opts, err=_err)
    else:
        _err(f"error: --engine must be one of {ENGINES}, got {engine!r}")
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

    code = run(inputs, out, model or tracking.SUMMARISER_URI, text_field, max_bytes, quiet, tracking_uri, err=_err,
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


# Inference commands whose interpreter teardown only frees the loaded model: 1.1 s of a one-document `accord
# summarise` went to freeing the summariser's tensors and tokenizer after its output was written and closed.
QUICK_EXIT = ("classify", "summarise")


def main() -> None:
    """The ``accord`` console script: ``app``; a local ``classify``/``summarise`` then exits without the teardown
    (its outputs are written atomically and closed before, and standard streams are flushed here)."""
    try:
        app()
    except Exception as exc:  # a bug, not bad input (that is named where it is read): one line, no traceback
        if os.environ.get("ACCORD_DEBUG"):
            raise
        print(f"error: unexpected {type(exc).__name__}: {exc} (a bug in accord; ACCORD_DEBUG=1 shows where)",
              file=sys.stderr)
        sys.exit(1)
    except SystemExit as exc:
        argv = sys.argv[1:]
        spark = any("spark" in a for a in argv)  # "--engine spark" and "--engine=spark" alike: Spark exits normally
        quick = argv[:1] and argv[0] in QUICK_EXIT and not spark and isinstance(exc.code, int | None)
        if not quick:
            raise
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()
        os._exit(exc.code or 0)


if __name__ == "__main__":
    main()
