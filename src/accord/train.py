"""Train a sentence classifier end to end, tracked in MLflow: the library behind ``accord train classifier``.

    python training/train_classifier.py -c training/configs/classifier/minilm.yaml epochs=3

Per run: the resolved config as params (+ ``config.yaml``), the splits as dataset inputs, per-epoch loss and
validation metrics, thresholds tuned on validation, final metrics on validation/test/seed, reports, confusion
matrices, PR curves, a misclassified table, timing; the model is logged as a pyfunc, registered as
``accord-classifier`` and promoted to ``@champion`` only if it beats the champion's validation macro-F1.
"""

from __future__ import annotations

import hashlib
import json
import statistics
import time
from dataclasses import asdict, dataclass
from typing import Any

import matplotlib.pyplot as plt
import mlflow
import numpy as np
import pandas as pd
import yaml

from accord import tracking
from accord.classifier import ClassifierConfig, SentenceClassifier, build_classifier
from accord.dataset import DataConfig, article_targets, classification_datasets
from accord.labels import LABELS, to_multi_hot
from accord.metrics import (
    apply_thresholds,
    confusion_figure,
    misclassified,
    multilabel_metrics,
    pr_figure,
    report,
    tune_thresholds,
)

EVAL_SPLITS = ("validation", "test", "seed")


@dataclass
class TrainResult:
    """What a training run produced."""

    run_id: str
    model_uri: str
    version: str | None
    decision: tracking.GateDecision | None
    metrics: dict[str, float]
    classifier: SentenceClassifier


def split_arrays(ds: Any) -> tuple[list[str], list[str], np.ndarray]:
    """``(ids, texts, multi-hot y)`` of a classification split."""
    y = np.array([to_multi_hot(labels) for labels in ds["labels"]], dtype=int).reshape(-1, len(LABELS))
    return list(ds["id"]), list(ds["text"]), y


def run_name(cfg: ClassifierConfig) -> str:
    """Readable run name: family + short config tag."""
    if cfg.run_name:
        return cfg.run_name
    if cfg.family == "tfidf":
        tag = f"C{cfg.C:g}-w{cfg.word_ngram_max}-c{cfg.char_ngram_min}{cfg.char_ngram_max}"
    else:
        tag = f"e{cfg.epochs}-lr{cfg.learning_rate:g}-b{cfg.batch_size}"
    limit = f"-n{cfg.limit_train}" if cfg.limit_train else ""
    return f"{cfg.family}-{tag}-s{cfg.seed}{limit}"


def dataset_digest(dd: Any) -> str:
    """Short digest of every split's ids, texts and labels."""
    h = hashlib.sha256()
    for name in sorted(dd):
        for row in dd[name].select_columns(["id", "text", "labels"]).to_list():
            h.update(json.dumps([name, row["id"], row["text"], row["labels"]], ensure_ascii=False).encode())
    return h.hexdigest()[:12]


def log_split_evaluation(name: str, ids: list[str], texts: list[str], y: np.ndarray, probs: np.ndarray,
                         thresholds: np.ndarray, prefix: str = "") -> dict[str, float]:
    """Log metrics (``{name}_...``) and artifacts (``eval/{name}/``) of one split in the active run."""
    pred = apply_thresholds(probs, thresholds)
    metrics = {f"{prefix}{name}_{k}": v for k, v in multilabel_metrics(y, pred).items()}
    mlflow.log_metrics(metrics)
    as_dict, as_text = report(y, pred)
    mlflow.log_dict(as_dict, f"eval/{name}/classification_report.json")
    mlflow.log_text(as_text, f"eval/{name}/classification_report.txt")
    for fig, fname in ((confusion_figure(y, pred, f"{name}: confusion per label"), "confusion_matrices.png"),
                       (pr_figure(y, probs, thresholds, f"{name}: precision-recall"), "pr_curves.png")):
        mlflow.log_figure(fig, f"eval/{name}/{fname}")
        plt.close(fig)
    table = misclassified(ids, texts, y, pred, probs)
    if len(table):
        mlflow.log_table(table, f"eval/{name}/misclassified.json")
    return metrics


def _log_inputs(dd: Any, data_cfg: DataConfig) -> None:
    for name, ds in dd.items():
        df = pd.DataFrame({"id": ds["id"], "text": ds["text"],
                           "labels": [",".join(x) for x in ds["labels"]]})
        tracking.log_dataframe_input(df, f"accord-sentences-{name}", name, data_cfg.sentences_path, "labels")


def _fit(cfg: ClassifierConfig, train: Any, val: Any, log_epochs: bool) -> tuple[SentenceClassifier, float]:
    _, texts, y = split_arrays(train)
    _, val_texts, val_y = split_arrays(val)
    clf = build_classifier(cfg)

    def on_epoch(row: dict[str, float]) -> None:
        if log_epochs:
            mlflow.log_metrics({k: v for k, v in row.items() if k != "epoch"}, step=int(row["epoch"]))

    start = time.perf_counter()
    clf.fit(texts, y, val_texts, val_y, on_epoch=on_epoch)
    elapsed = time.perf_counter() - start
    clf.thresholds = tune_thresholds(val_y, clf.predict_proba(val_texts))
    return clf, elapsed


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
            mlflow.set_tags({tracking.RUN_TYPE_TAG: "cv_fold", "accord.fold": str(fold)})
            mlflow.log_params(tracking.flat_params(asdict(cfg)))
            clf, _ = _fit(cfg, fold_train, val, log_epochs=True)
            _, texts, y = split_arrays(fold_test)
            m = multilabel_metrics(y, apply_thresholds(clf.predict_proba(texts), clf.thresholds))
            mlflow.log_metrics({f"fold_{key}": m[key] for key in scores})
            for key in scores:
                scores[key].append(m[key])
    out = {}
    for key, values in scores.items():
        out[f"cv_{key}_mean"] = statistics.fmean(values)
        out[f"cv_{key}_std"] = statistics.stdev(values) if len(values) > 1 else 0.0
    mlflow.log_metrics(out)
    return out


def train_classifier(cfg: ClassifierConfig, data_cfg: DataConfig | None = None, uri: str | None = None,
                     register: bool = True) -> TrainResult:
    """Train, evaluate, log, register and gate one classifier; returns what it produced."""
    data_cfg = data_cfg or DataConfig()
    tracking.setup(tracking.CLASSIFIER, uri)
    dd = classification_datasets(data_cfg)
    train = dd["train"]
    if cfg.limit_train:
        train = train.select(range(min(cfg.limit_train, len(train))))
    with mlflow.start_run(run_name=run_name(cfg)) as run:
        mlflow.set_tags({tracking.RUN_TYPE_TAG: "training", "accord.family": cfg.family,
                         tracking.DATASET_DIGEST_TAG: dataset_digest(dd),
                         tracking.GIT_COMMIT_TAG: tracking.git_commit() or "unknown"})
        mlflow.log_params(tracking.flat_params(asdict(cfg)) | tracking.flat_params(asdict(data_cfg), "data."))
        mlflow.log_text(yaml.safe_dump({"classifier": asdict(cfg), "data": asdict(data_cfg)}, sort_keys=False),
                        "config.yaml")
        _log_inputs(dd, data_cfg)
        metrics: dict[str, float] = {}
        if cfg.cv > 1:
            metrics |= cross_validate(cfg, train, dd["validation"], cfg.cv)
        clf, train_time = _fit(cfg, train, dd["validation"], log_epochs=True)
        metrics["train_time_s"] = train_time
        if clf.history:
            best = max(clf.history, key=lambda r: r["val_macro_f1"])
            metrics["best_epoch"] = best["epoch"]
        mlflow.log_dict(dict(zip(LABELS, map(float, clf.thresholds), strict=True)), "thresholds.json")
        n_predicted, predict_time = 0, 0.0
        for name in EVAL_SPLITS:
            ids, texts, y = split_arrays(dd[name])
            start = time.perf_counter()
            probs = clf.predict_proba(texts)  # timed once here: the throughput metric reuses these predictions
            predict_time += time.perf_counter() - start
            n_predicted += len(texts)
            metrics |= log_split_evaluation(name, ids, texts, y, probs, clf.thresholds)
        metrics["inference_sentences_per_s"] = n_predicted / predict_time
        mlflow.log_metrics({k: metrics[k] for k in ("train_time_s", "inference_sentences_per_s", "best_epoch")
                            if k in metrics})
        info = tracking_log_model(clf, register, train)
        version = str(info.registered_model_version) if register and info.registered_model_version else None
        decision = None
        if version:
            decision = tracking.promote_if_better(tracking.CLASSIFIER, version, metrics["validation_macro_f1"],
                                                  run.info.run_id)
        return TrainResult(run.info.run_id, info.model_uri, version, decision, metrics, clf)


def tracking_log_model(clf: SentenceClassifier, register: bool, train: Any) -> Any:
    """Log the pyfunc (input example: two training sentences) and register it when asked."""
    from accord.pyfunc import log_classifier

    return log_classifier(clf, tracking.CLASSIFIER if register else None, list(train["text"][:2]))
