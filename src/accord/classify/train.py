"""Train a sentence classifier end to end, tracked in MLflow: the library behind ``accord train classifier``.

    metrics, objects = train(load_config(ClassifierConfig, "training/configs/classifier/minilm.yaml"))

Per run: the resolved config (the family's own settings) as params and ``config.yaml``, the splits as dataset
inputs, per-epoch loss and validation metrics, thresholds tuned on validation, final metrics on every evaluation
split (logged by :func:`accord.classify.evaluate.log_split_evaluation`), timing; the model is logged as a pyfunc,
registered as ``accord-classifier`` and promoted to ``@champion`` only if it beats the champion on the gate metric.
Mirrors :mod:`accord.summarise.train`: ``train(cfg) -> (metrics, objects)``.
"""

from __future__ import annotations

import hashlib
import json
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import mlflow
import numpy as np
import pandas as pd

from accord import paths, promotion, tracking
from accord.classify import scores_cache
from accord.classify.config import (
    ClassifierConfig,
    config_from_meta,
    registered,
    registered_member,
    saved_meta,
    use_registered,
)
from accord.classify.evaluate import log_split_evaluation
from accord.classify.families import build_classifier
from accord.classify.metrics import (
    apply_thresholds,
    cross_fitted_difference,
    cross_fitted_score,
    multilabel_metrics,
    tune_thresholds,
)
from accord.classify.model import SentenceClassifier
from accord.classify.refit import CHECK_SPLIT, Reference, recipe_differences, refit_config, refit_problems
from accord.config import ConfigError
from accord.data.datasets import GATE_SPLIT, DataConfig, article_targets, classification_datasets, split_arrays
from accord.labels import LABELS, SCORE_COLUMNS

EVAL_SPLITS = ("real_validation", "real_test", "curated_validation", "curated_test", "seed")
# The gate split's in-sample score: thresholds are tuned on these sentences too, which flatters some models more
# than others, so the gate compares cross-fitted scores instead (gate_score); the headline is real_test.
GATE_KEY = f"{GATE_SPLIT}/macro_f1"
# Per-epoch curves (threshold 0.5, before thresholds are tuned), named apart from the final split metrics.
EPOCH_NAMES = {"train_loss": "epoch/train_loss", "val_loss": "epoch/real_validation_loss",
               "val_macro_f1": "epoch/real_validation_macro_f1_at_0.5",
               "val_micro_f1": "epoch/real_validation_micro_f1_at_0.5", "elapsed_s": "epoch/elapsed_s"}


def epoch_key(name: str, member: str | None = None) -> str:
    """The MLflow key of a per-epoch metric; an ensemble member's go under its name (``epoch/member1-gemma/...``)."""
    key = EPOCH_NAMES.get(name, f"epoch/{name}")
    return key.replace("epoch/", f"epoch/{member}/", 1) if member else key


def best_epochs(history: list[dict[str, Any]]) -> dict[str, float]:
    """The epoch with the best validation macro-F1 at 0.5, per member for an ensemble (``epoch/best``)."""
    best: dict[str, dict[str, Any]] = {}
    for row in (r for r in history if "val_macro_f1" in r):
        member = row.get("member")
        if member not in best or row["val_macro_f1"] > best[member]["val_macro_f1"]:
            best[member] = row
    return {epoch_key("best", member): float(row["epoch"]) for member, row in best.items()}


@dataclass
class TrainObjects:
    """What a training run made besides its metrics."""

    run_id: str
    model_uri: str
    version: str | None
    decision: promotion.GateDecision | None
    classifier: SentenceClassifier


def run_name(cfg: ClassifierConfig) -> str:
    """Readable run name: family + short config tag."""
    if cfg.run_name:
        return cfg.run_name
    if cfg.family == "tfidf":
        t = cfg.tfidf
        tag = f"C{t.C:g}-w{t.word_ngram_max}-c{t.char_ngram_min}{t.char_ngram_max}"
    else:
        m = cfg.minilm
        tag = f"e{m.epochs}-lr{m.learning_rate:g}-b{m.batch_size}"
    limit = f"-n{cfg.limit_train}" if cfg.limit_train else ""
    return f"{cfg.family}-{tag}-s{cfg.seed}{limit}"


def dataset_digest(dd: Any) -> str:
    """Short digest of every split's ids, texts and labels."""
    h = hashlib.sha256()
    for name in sorted(dd):
        for row in dd[name].select_columns(["id", "text", "labels"]).to_list():
            h.update(json.dumps([name, row["id"], row["text"], row["labels"]], ensure_ascii=False).encode())
    return h.hexdigest()[:12]


def _log_inputs(dd: Any, source: str) -> dict[str, Any]:
    """Every split as a run input; returns the datasets by split, so each split's metrics can name theirs."""
    out = {}
    for name, ds in dd.items():
        df = pd.DataFrame({"id": ds["id"], "text": ds["text"], "labels": [",".join(x) for x in ds["labels"]]})
        out[name] = tracking.log_dataframe_input(df, f"accord-sentences-{name}", name, source, "labels")
    return out


def fit(cfg: ClassifierConfig, train: Any, val: Any, log_epochs: bool, thresholds: np.ndarray | None = None
        ) -> tuple[SentenceClassifier, float, np.ndarray]:
    """A classifier fitted on ``train`` with thresholds tuned on ``val`` (or ``thresholds`` kept, for a refit, which
    trains on ``val``), the seconds fitting took, and the ``val`` probabilities (the evaluation reuses them)."""
    _, texts, y = split_arrays(train)
    _, val_texts, val_y = split_arrays(val)
    clf = build_classifier(cfg)

    def on_epoch(row: dict[str, Any]) -> None:
        if log_epochs:
            mlflow.log_metrics({epoch_key(k, row.get("member")): v for k, v in row.items()
                                if isinstance(v, float) and k != "epoch"}, step=int(row["epoch"]))

    start = time.perf_counter()
    clf.fit(texts, y, val_texts, val_y, on_epoch=on_epoch)
    elapsed = time.perf_counter() - start
    val_probs = clf.predict_proba(val_texts)
    clf.thresholds = tune_thresholds(val_y, val_probs) if thresholds is None else thresholds
    return clf, elapsed, val_probs


def cross_validate(cfg: ClassifierConfig, train: Any, val: Any, k: int) -> dict[str, float]:
    """K-fold CV over the train reports (grouped, multi-label stratified) as nested runs; mean and spread."""
    from iterstrat.ml_stratifiers import MultilabelStratifiedKFold

    rows = train.to_list()
    articles = sorted({r["article_id"] for r in rows})
    targets = np.array([article_targets([r for r in rows if r["article_id"] == a]) for a in articles])
    folds = MultilabelStratifiedKFold(n_splits=k, shuffle=True, random_state=cfg.seed)
    scores: dict[str, list[float]] = {"macro_f1": [], "micro_f1": [], "subset_accuracy": []}
    article_of = list(train["article_id"])
    for fold, (tr, _te) in enumerate(folds.split(np.zeros((len(articles), 1)), targets)):
        keep = {articles[i] for i in tr}
        fold_train = train.select([i for i, a in enumerate(article_of) if a in keep])
        fold_test = train.select([i for i, a in enumerate(article_of) if a not in keep])
        with mlflow.start_run(run_name=f"{run_name(cfg)}-fold{fold}", nested=True):
            tracking.log_run_preamble("cv_fold", cfg.family, cfg.family_settings(), {"accord.fold": str(fold)})
            clf, _, _ = fit(cfg, fold_train, val, log_epochs=True)
            _, texts, y = split_arrays(fold_test)
            m = multilabel_metrics(y, apply_thresholds(clf.predict_proba(texts), clf.thresholds))
            mlflow.log_metrics({f"fold/{key}": m[key] for key in scores})
            for key in scores:
                scores[key].append(m[key])
    out = {}
    for key, values in scores.items():
        out[f"cv/{key}_mean"] = statistics.fmean(values)
        out[f"cv/{key}_std"] = statistics.stdev(values) if len(values) > 1 else 0.0
    mlflow.log_metrics(out)
    return out


def evaluate_splits(clf: SentenceClassifier, dd: Any, datasets: dict[str, Any] | None = None,
                    known: dict[str, np.ndarray] | None = None, figures: bool = True
                    ) -> tuple[dict[str, float], dict[str, np.ndarray]]:
    """Metrics and artifacts of every evaluation split and the inference throughput over the splits predicted here;
    and each split's probabilities (the gate pairs the gate split's with the champion's). ``known``: probabilities
    already computed with this model (the gate split's, from :func:`fit`), used as they are."""
    metrics: dict[str, float] = {}
    probabilities: dict[str, np.ndarray] = dict(known or {})
    n_predicted, predict_time = 0, 0.0
    for name in EVAL_SPLITS:
        ids, texts, y = split_arrays(dd[name])
        if name not in probabilities:
            start = time.perf_counter()
            probabilities[name] = clf.predict_proba(texts)  # timed once: throughput and gate reuse them
            predict_time += time.perf_counter() - start
            n_predicted += len(texts)
        metrics |= log_split_evaluation(name, ids, texts, y, probabilities[name], clf.thresholds,
                                        (datasets or {}).get(name), figures)
    if predict_time:
        metrics["time/inference_sentences_per_s"] = n_predicted / predict_time
    return metrics, probabilities


def registered_probabilities(model: Any, texts: list[str]) -> np.ndarray:
    """A registered classifier's probabilities for ``texts`` (its ``score_<label>`` columns, LABELS order): what the
    gate rescores, since cross-fitting tunes thresholds of its own."""
    return model.predict(texts)[list(SCORE_COLUMNS)].to_numpy(dtype=float).reshape(-1, len(LABELS))


def gate_scorer(split: Any, new_probs: np.ndarray) -> Callable[[str], tuple[float, float, tuple[float, float]]]:
    """``score(model_uri)``: the registered classifier's cross-fitted macro-F1 on the gate split, the share of
    paired article resamples in which the new model (``new_probs`` there) wins, and the 95% interval of the new
    model's macro-F1 minus the registered one's, each the mean over the halvings (docs/decisions.md, stop 43)."""
    _, texts, y = split_arrays(split)

    def score(model_uri: str) -> tuple[float, float, tuple[float, float]]:
        old = scores_cache.probabilities(
            model_uri, texts, lambda: registered_probabilities(mlflow.pyfunc.load_model(model_uri), texts))
        d = cross_fitted_difference(y, new_probs, old, list(split["article_id"]))
        return d["old"], d["wins"], (d["low"], d["high"])

    return score


def gate_score(split: Any, probs: np.ndarray) -> float:
    """What the gate compares: macro-F1 on the gate split with thresholds tuned on the other half of its articles
    (mean over the halvings), free of the optimism of tuning on the scored sentences."""
    _, _, y = split_arrays(split)
    return cross_fitted_score(y, probs, list(split["article_id"]))


def gate(split: Any, probs: np.ndarray, score: float, version: str, run_id: str | None) -> promotion.GateDecision:
    """Promote ``version`` (``probs``: its probabilities on the gate split, ``score``: their :func:`gate_score`) if
    its cross-fitted score beats the champion's, paired article by article."""
    return promotion.promote_if_better(tracking.CLASSIFIER, version, score, run_id, rescore=gate_scorer(split, probs))


def regate(version: str, uri: str | None = None, data: DataConfig | None = None) -> promotion.GateDecision:
    """Gate a registered version again, by the training rule, against today's champion on today's gate split: for
    when the champion, the gate split's labels or the rule changed after the version was gated. The new decision
    replaces the version's gate tags; the earlier reason is kept as ``gate.previous_reason``."""
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    tracking.setup(tracking.CLASSIFIER, uri)
    split = classification_datasets(data or DataConfig())[GATE_SPLIT]
    try:
        earlier = MlflowClient().get_model_version(tracking.CLASSIFIER, version)
    except MlflowException:
        raise tracking.ModelNotFound(f"no version {version!r} of {tracking.CLASSIFIER} in the store") from None
    if earlier.tags.get(tracking.REFIT_TAG):
        raise ConfigError(f"version {version} is a refit of v{earlier.tags[tracking.REFIT_TAG]}: it trained on the "
                          "gate split, so the gate cannot judge it (gate the version it refits)")
    model_uri, texts = f"models:/{tracking.CLASSIFIER}/{version}", split_arrays(split)[1]
    probs = scores_cache.probabilities(
        model_uri, texts, lambda: registered_probabilities(tracking.load_model(model_uri, uri), texts))
    decision = gate(split, probs, gate_score(split, probs), version, earlier.run_id)
    if earlier.tags.get("gate.reason"):
        MlflowClient().set_model_version_tag(tracking.CLASSIFIER, version, "gate.previous_reason",
                                             earlier.tags["gate.reason"])
    return decision


def registered_folder(uri: str) -> Path:
    """The saved classifier folder of ``models:/NAME/VERSION`` in the current store (a ``ModelNotFound`` if absent):
    what :func:`~accord.classify.families.load_classifier` reads."""
    return paths.pyfunc_artifact(tracking.registered_version(uri).folder, paths.CLASSIFIER_ARTIFACT)


def reference(cfg: ClassifierConfig) -> Reference:
    """The version a refit trains again (``cfg.refit_from``), read from the current store before a run starts: one
    the store lacks, one that is not a classifier, or one trained with another recipe, is a :class:`ConfigError`
    naming it."""
    try:
        folder = registered_folder(cfg.refit_from)
    except tracking.ModelNotFound as exc:
        raise ConfigError(f"refit_from: {exc}") from None
    meta = saved_meta(folder, f"refit_from: {cfg.refit_from}")
    differences = recipe_differences(cfg, config_from_meta(meta["config"]))
    if differences:
        raise ConfigError(f"refit_from: {cfg.refit_from} was trained with another recipe: {'; '.join(differences)}")
    return Reference(cfg.refit_from, np.asarray(meta["thresholds"], dtype=float))


def refit_decision(ref: Reference, version: str, dd: Any, metrics: dict[str, float], run_id: str | None
                   ) -> promotion.GateDecision:
    """Promote the refit ``version`` by the refit rule (:func:`accord.classify.refit.refit_problems`), the version
    it trains again scored now on the check split, which neither trained on (loaded here, not held while training)."""
    _, texts, y = split_arrays(dd[CHECK_SPLIT])
    probs = registered_probabilities(mlflow.pyfunc.load_model(ref.uri), texts)
    old = multilabel_metrics(y, apply_thresholds(probs, ref.thresholds))
    key = f"{CHECK_SPLIT}/macro_f1"
    return promotion.promote_refit(tracking.CLASSIFIER, version, ref.version, (metrics[key], old["macro_f1"]), key,
                                  refit_problems(metrics, old["macro_f1"], ref.version), run_id)


def resolve_registered(cfg: ClassifierConfig) -> ClassifierConfig:
    """Find each registered ensemble member of ``cfg`` in the current store, for the model code to load; a version
    the store lacks is a :class:`ConfigError` naming it."""
    for name in cfg.ensemble.member_list() if cfg.family == "ensemble" else []:
        if registered(name):
            try:
                use_registered(name, registered_folder(name))
            except tracking.ModelNotFound as exc:
                raise ConfigError(f"ensemble member {exc}") from None
    return cfg


def registered_member_problems(cfg: ClassifierConfig, digest: str) -> list[str]:
    """Why an ensemble's registered members cannot join this run: each must have been trained on exactly this
    run's data (the same dataset digest and training limit), or the ensemble's validation scores, its thresholds
    and its gate would rest on a member that saw validation rows; nor can folds reuse them (they saw every fold)."""
    names = [n for n in cfg.ensemble.member_list() if registered(n)] if cfg.family == "ensemble" else []
    problems = [f"cv={cfg.cv}: registered members ({', '.join(names)}) were trained on every fold"
                ] if names and cfg.cv > 1 else []
    for name in names:
        member = registered_member(name)[1]  # a version the store lacks: a ConfigError naming it
        trained_on = tracking.registered_version(name).dataset_digest
        if trained_on != digest:
            problems.append(f"ensemble member {name} was trained on dataset {trained_on}, this run's is {digest}: "
                            "retrain it on this data (or name its config file as the member)")
        if member.limit_train != cfg.limit_train:
            problems.append(f"ensemble member {name} was trained with limit_train={member.limit_train}, this run "
                            f"has {cfg.limit_train}")
    return problems


def train(cfg: ClassifierConfig, uri: str | None = None, register: bool = True
          ) -> tuple[dict[str, float], TrainObjects]:
    """Train, evaluate, log, register and gate one classifier; returns its metrics and what it made. A registered
    ensemble member that was trained on other data is a :class:`ConfigError`, raised before a run starts."""
    tracking.setup(tracking.CLASSIFIER, uri)
    ref = reference(cfg := refit_config(cfg)) if cfg.refit_from else None  # read before a run starts
    dd = classification_datasets(cfg.data, validation_in_train=ref is not None)
    problems = registered_member_problems(resolve_registered(cfg), dataset_digest(dd))
    if problems:
        raise ConfigError("; ".join(problems))
    train_split = dd["train"]
    if cfg.limit_train:
        train_split = train_split.select(range(min(cfg.limit_train, len(train_split))))
    with mlflow.start_run(run_name=run_name(cfg), log_system_metrics=True) as run:
        tracking.log_run_preamble("training", cfg.family, cfg.family_settings(),
                                  {tracking.DATASET_DIGEST_TAG: dataset_digest(dd)})
        datasets = _log_inputs(dd, cfg.data.sentences_path)
        metrics: dict[str, float] = cross_validate(cfg, train_split, dd[GATE_SPLIT], cfg.cv) if cfg.cv > 1 else {}
        clf, metrics["time/train_s"], gate_probs = fit(cfg, train_split, dd[GATE_SPLIT], log_epochs=True,
                                                       thresholds=None if ref is None else ref.thresholds)
        metrics |= best_epochs(clf.history)
        metrics |= {f"train/{k}": v for k, v in getattr(clf, "train_notes", {}).items()}  # distillation, averaging
        mlflow.log_dict(dict(zip(LABELS, map(float, clf.thresholds), strict=True)), "thresholds.json")
        split_metrics, probabilities = evaluate_splits(clf, dd, datasets, {GATE_SPLIT: gate_probs}, cfg.figures)
        metrics |= split_metrics
        if ref is None:  # a refit trained on the gate split: its score there would be in-sample
            metrics[tracking.GATE_METRIC[tracking.CLASSIFIER]] = gate_score(dd[GATE_SPLIT], probabilities[GATE_SPLIT])
        mlflow.log_metrics({k: v for k, v in metrics.items() if k.startswith(("time/", "epoch/", "gate/", "train/"))})
        from accord.pyfunc import log_classifier

        info = log_classifier(clf, tracking.CLASSIFIER if register else None, list(train_split["text"][:2]))
        version = str(info.registered_model_version) if register and info.registered_model_version else None
        decision = _decide(ref, dd, probabilities, metrics, version, run.info.run_id)
        headline = describe(cfg, metrics, len(train_split))
        mlflow.set_tag(tracking.NOTE_TAG, headline)
        if version:
            promotion.describe_version(tracking.CLASSIFIER, version, decision, headline)
        return metrics, TrainObjects(run.info.run_id, info.model_uri, version, decision, clf)


def _decide(ref: Reference | None, dd: Any, probabilities: dict[str, np.ndarray], metrics: dict[str, float],
            version: str | None, run_id: str) -> promotion.GateDecision | None:
    """The registered version's promotion: by the gate on the gate split, or by the refit rule for a refit."""
    if version is None:
        return None
    if ref is not None:
        return refit_decision(ref, version, dd, metrics, run_id)
    return gate(dd[GATE_SPLIT], probabilities[GATE_SPLIT], metrics[tracking.GATE_METRIC[tracking.CLASSIFIER]],
                version, run_id)  # the score computed once, in train


def validation_note(cfg: ClassifierConfig, metrics: dict[str, float]) -> str:
    """How real validation's score reads: beside the gate's cross-fitted score, or in-sample for a refit."""
    gate_key = tracking.GATE_METRIC[tracking.CLASSIFIER]
    if gate_key in metrics:
        return f"real validation {metrics[GATE_KEY]:.3f} (cross-fitted {metrics[gate_key]:.3f}, the gate's score)"
    return f"real validation {metrics[GATE_KEY]:.3f} (in-sample: a refit of {cfg.refit_from} trained on it)"


def describe(cfg: ClassifierConfig, metrics: dict[str, float], n_train: int) -> str:
    """One line a reviewer reads first: family, data and headline scores."""
    return (f"{cfg.family} trained on {n_train} sentences (curated + real train outlets). Macro-F1: real test "
            f"{metrics['real_test/macro_f1']:.3f}, {validation_note(cfg, metrics)}, curated test "
            f"{metrics['curated_test/macro_f1']:.3f}; seed sentences wrong {int(metrics['seed/wrong_sentences'])}/"
            f"{int(metrics['seed/n_sentences'])}.")

