"""Evaluate a classifier: any model URI on a split or a labelled JSONL, logged as an MLflow evaluation run.

    metrics, objects = evaluate(EvalConfig(model_uri="models:/accord-classifier@champion", split="seed"))

The library behind ``accord evaluate classifier`` and ``evaluation/evaluate_classifier.py``; it mirrors
:mod:`accord.classify.train` (``evaluate(cfg) -> (metrics, objects)``) and :func:`log_split_evaluation` is what
training logs for each of its own splits too. The run lands in the ``accord-classifier`` experiment, tagged
``accord.run_type=evaluation`` and linked to the model (URI, registry version, source run, logged-model id).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import mlflow
import numpy as np

from accord import tracking
from accord.classify.metrics import apply_thresholds, metric_names, misclassified, multilabel_metrics, report
from accord.classify.plots import as_image, confusion_figure, f1_figure, pr_figure
from accord.config import arg
from accord.data.datasets import CLASSIFICATION_SPLITS, DataConfig, classification_datasets
from accord.io import InputError, iter_jsonl
from accord.labels import LABELS, SCORE_COLUMNS, LabelError, check_labels, to_multi_hot


@dataclass
class EvalConfig:
    """What to evaluate on which data."""

    model_uri: str = arg(tracking.CLASSIFIER_URI, "any MLflow model URI of a classifier")
    split: str = arg("real_test", "a split of the corpus (ignored when data_file is given)",
                     choices=CLASSIFICATION_SPLITS)
    data_file: str = arg("", "a labelled JSONL ({text, labels}) to evaluate on instead of a split")
    data: DataConfig = arg(help="data and splits", factory=DataConfig)


@dataclass
class EvalObjects:
    """What an evaluation made besides its metrics."""

    run_id: str
    report: str
    errors: list[InputError] = field(default_factory=list)


class NoUsableRows(InputError):
    """A labelled file with nothing to evaluate; ``errors``: what was wrong with each line (each named file:line)."""

    def __init__(self, path: str | Path, errors: list[InputError]) -> None:
        super().__init__(path, "no usable labelled rows; nothing was evaluated")
        self.errors = errors


def read_labelled(path: str | Path) -> tuple[list[dict[str, Any]], list[InputError]]:
    """Rows ``{id, text, labels}`` of a labelled JSONL (corpus format); bad lines are returned as errors."""
    errors: list[InputError] = []
    rows = []
    for line, obj in iter_jsonl(path, errors):
        text, labels = obj.get("text"), obj.get("labels")
        if not isinstance(text, str) or not text.strip():
            errors.append(InputError(path, "needs a non-empty string field 'text'", line))
            continue
        try:
            labels = check_labels(labels)
        except LabelError as exc:
            errors.append(InputError(path, str(exc), line))
            continue
        rows.append({"id": str(obj.get("id", f"line-{line}")), "text": text, "labels": labels})
    return rows, errors


MISCLASSIFIED = "eval/{split}/misclassified.json"  # a run's artifact: the sentences of a split it labelled wrong


def recorded_predictions(run_dir: Path, split: str, gold: dict[str, list[str]]) -> dict[str, list[str]]:
    """A logged run's label set for each sentence of ``gold`` in ``split``, rebuilt without its model: the recorded
    prediction where it erred (the :data:`MISCLASSIFIED` table), else the gold it was scored against."""
    import json

    table = json.loads((run_dir / "artifacts" / MISCLASSIFIED.format(split=split)).read_text(encoding="utf-8"))
    column = table["columns"].index("predicted")
    wrong = {r[0]: [x for x in r[column].split("+") if x and x != "other"] for r in table["data"]}
    return {i: wrong.get(i, labels) for i, labels in gold.items()}


def log_split_evaluation(name: str, ids: list[str], texts: list[str], y: np.ndarray, probs: np.ndarray,
                         thresholds: np.ndarray, dataset: Any = None, figures: bool = True) -> dict[str, float]:
    """Log metrics (``{name}/...``, per label ``{name}_labels/...``; linked to ``dataset`` when given), artifacts
    (``eval/{name}/``) and, with ``figures``, images with keys (``{name}/confusion``, ``/pr_curves``,
    ``/f1_per_label``: the chart view compares them across runs) of one split in the active run."""
    pred = apply_thresholds(probs, thresholds)
    metrics = metric_names(name, multilabel_metrics(y, pred))
    mlflow.log_metrics(metrics, dataset=dataset)
    as_dict, as_text = report(y, pred)
    mlflow.log_dict(as_dict, f"eval/{name}/classification_report.json")
    mlflow.log_text(as_text, f"eval/{name}/classification_report.txt")
    if figures:
        log_figures(name, y, pred, probs, thresholds)
    table = misclassified(ids, texts, y, pred, probs)
    if len(table):
        mlflow.log_table(table, MISCLASSIFIED.format(split=name))
    return metrics


def log_figures(name: str, y: np.ndarray, pred: np.ndarray, probs: np.ndarray, thresholds: np.ndarray) -> None:
    """One split's figures, as artifacts under ``eval/{name}/`` and as keyed images."""
    shown = {"confusion": confusion_figure(y, pred, f"{name}: confusion per label"),
             "pr_curves": pr_figure(y, probs, thresholds, f"{name}: precision-recall"),
             "f1_per_label": f1_figure(y, pred, f"{name}: F1 per label")}
    files = {"confusion": "confusion_matrices.png", "pr_curves": "pr_curves.png", "f1_per_label": "f1_per_label.png"}
    for key, fig in shown.items():
        mlflow.log_figure(fig, f"eval/{name}/{files[key]}")
        mlflow.log_image(as_image(fig), key=f"{name}/{key}", step=0)
        plt.close(fig)


def _rows(cfg: EvalConfig) -> tuple[str, list[dict[str, Any]], list[InputError]]:
    """``(data name, rows, input errors)`` of the configured split or file."""
    if cfg.data_file:
        rows, errors = read_labelled(cfg.data_file)
        if not rows:
            raise NoUsableRows(cfg.data_file, errors)
        return Path(cfg.data_file).stem, rows, errors
    return cfg.split, classification_datasets(cfg.data)[cfg.split].to_list(), []


def evaluate(cfg: EvalConfig, uri: str | None = None) -> tuple[dict[str, float], EvalObjects]:
    """Predict with the model on the split (or file), log an evaluation run; returns metrics and the report."""
    tracking.setup(tracking.CLASSIFIER, uri)
    name, rows, errors = _rows(cfg)
    model = tracking.load_model(cfg.model_uri, uri)  # a model that cannot load: ModelNotFound, one line
    texts = [r["text"] for r in rows]
    out = model.predict(texts)
    probs = out[list(SCORE_COLUMNS)].to_numpy(dtype=float)
    y = np.array([to_multi_hot(r["labels"]) for r in rows], dtype=int).reshape(-1, len(LABELS))
    inner = model.unwrap_python_model()
    thresholds = getattr(getattr(inner, "classifier", None), "thresholds", np.full(len(LABELS), 0.5))
    links = tracking.model_links(cfg.model_uri)
    run_name = f"eval-{links.get('accord.model_name', 'model')}-v{links.get('accord.model_version', '?')}-{name}"
    with mlflow.start_run(run_name=run_name) as run:
        mlflow.set_tags({tracking.RUN_TYPE_TAG: "evaluation", "accord.model_uri": cfg.model_uri,
                         "accord.eval_data": cfg.data_file or cfg.split} | links)
        metrics = log_split_evaluation(name, [r["id"] for r in rows], texts, y, probs, thresholds)
        if links.get("accord.model_id"):
            mlflow.log_metrics(metrics, model_id=links["accord.model_id"])
        if errors:
            mlflow.log_text("\n".join(str(e) for e in errors), "eval/input_errors.txt")
    pred = np.array([to_multi_hot(x) for x in out["labels"]], dtype=int).reshape(-1, len(LABELS))
    _, text = report(y, pred)
    return metrics, EvalObjects(run.info.run_id, text, errors)
