"""``accord train``: classifier, summariser and the promotion gate, tracked in MLflow."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from accord import paths, storage
from accord.cli.common import (
    ConfigOpt,
    DataConfigOpt,
    Overrides,
    TrackingOpt,
    echo_gate,
    err,
    gate_verdict,
    load,
    read_data_config,
    store_failures,
    train_app,
    train_or_exit,
)


@train_app.command("classifier")
def train_classifier_cmd(
    config: ConfigOpt = None,
    data_config: DataConfigOpt = paths.DATA_CONFIG_FILE,
    tracking_uri: TrackingOpt = None,
    cv: Annotated[int | None, typer.Option(help="K-fold CV over the train reports, as nested runs.", min=2)] = None,
    register: Annotated[bool, typer.Option(help="Register the model and run the promotion gate.")] = True,
    print_test: Annotated[bool, typer.Option(help="Print the test scores at the end (they are logged either way); "
                                                  "--no-print-test keeps them unseen until a decision made on "
                                                  "validation.")] = True,
    overrides: Overrides = None,
) -> None:
    """Train a sentence classifier (tfidf, minilm, setfit or an ensemble), log everything to MLflow, register and gate
    it."""
    from accord import tracking
    from accord.classify.config import ClassifierConfig, base_problems
    from accord.classify.train import train, validation_note
    from accord.config import ConfigError

    cfg = load(ClassifierConfig, config, [*(overrides or []), *([f"cv={cv}"] if cv is not None else [])],
                data_config)
    try:  # an ensemble's member config files and registered versions are read here, before any run starts
        with store_failures(tracking_uri):
            problems = base_problems(_in_store(cfg, tracking_uri))
    except ConfigError as exc:
        problems = [str(exc)]
    for problem in problems:
        err(f"error: {problem}")
    if problems:
        raise typer.Exit(2)
    m, objects = train_or_exit(train, cfg, tracking_uri, register)
    tests = (f", real test {m['real_test/macro_f1']:.3f}, curated test {m['curated_test/macro_f1']:.3f}"
             if print_test else " (test scores logged, not printed)")
    typer.echo(f"run {objects.run_id} ({cfg.family}): macro-F1 {validation_note(cfg, m)}{tests}; seed wrong "
               f"{int(m['seed/wrong_sentences'])}/{int(m['seed/n_sentences'])}; train {m['time/train_s']:.1f}s")
    echo_gate(tracking.CLASSIFIER, objects.version, objects.decision)


def _in_store(cfg: Any, tracking_uri: str | None) -> Any:
    """``cfg``, its registered ensemble members found in the store first (MLflow pointed at it)."""
    from accord.classify.config import registered

    if cfg.family == "ensemble" and any(map(registered, cfg.ensemble.member_list())):
        import mlflow

        from accord.classify.train import resolve_registered

        mlflow.set_tracking_uri(storage.tracking_uri(tracking_uri))
        resolve_registered(cfg)
    return cfg


@train_app.command("gate")
def train_gate_cmd(
    version: Annotated[str, typer.Argument(help="The registered accord-classifier version to gate again.")],
    data_config: DataConfigOpt = paths.DATA_CONFIG_FILE,
    tracking_uri: TrackingOpt = None,
) -> None:
    """Gate a registered classifier again against today's champion on today's validation labels by today's rule (a
    higher cross-fitted score whose 95% interval over paired article resamples excludes zero); for a champion, labels
    or a rule that changed since."""
    from accord import tracking
    from accord.classify.train import regate
    from accord.config import ConfigError

    try:
        with store_failures(tracking_uri):
            decision = regate(version, tracking_uri,
                              read_data_config(data_config if data_config and data_config.exists() else None, None))
    except (tracking.ModelNotFound, ConfigError) as exc:
        err(f"error: {exc}")
        raise typer.Exit(1 if isinstance(exc, tracking.ModelNotFound) else 2) from None
    if decision.champion_version == str(version):
        typer.echo(f"{tracking.CLASSIFIER} version {version} is already @champion")
        return
    typer.echo(f"{tracking.CLASSIFIER} version {version}: {gate_verdict(decision)}\n{decision.reason}")


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
    cfg = load(SummariserConfig, config, [*(overrides or []), *(["training.resume=true"] if resume else [])],
                data_config)
    m, objects = train_or_exit(train, cfg, tracking_uri, register)
    typer.echo(f"run {objects.run_id} ({cfg.model.family}, {objects.steps} steps, {m['time/s_per_step']:.1f} s/step): "
               f"real validation ROUGE-L {m['real_validation/rougeL']:.1f}, clean "
               f"{m['real_validation/clean_rate']:.2f}")
    echo_gate(tracking.SUMMARISER, objects.version, objects.decision)
