"""Evaluate any registered or logged classifier on a split or a labelled JSONL, as an MLflow evaluation run.

    python evaluation/evaluate_classifier.py --model-uri models:/accord-classifier@champion --split seed
    python evaluation/evaluate_classifier.py --model-uri models:/accord-classifier/3 --data my_labelled.jsonl

The run lands in the ``accord-classifier`` experiment, tagged ``accord.run_type=evaluation`` and linked to the
model (its URI, registry version, source run and, in MLflow 3, its logged-model id via ``model_id``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import mlflow
import numpy as np

from accord import tracking
from accord.dataset import CLASSIFICATION_SPLITS, DataConfig, classification_datasets
from accord.io import InputError, iter_jsonl
from accord.labels import LABELS, LabelError, check_labels, to_multi_hot
from accord.pyfunc import SCORE_COLUMNS
from accord.train import log_split_evaluation


@dataclass
class Evaluation:
    """What an evaluation produced."""

    run_id: str
    metrics: dict[str, float]
    report: str
    errors: list[InputError]


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


def _model_links(model_uri: str) -> dict[str, str]:
    """Registry version, source run and logged-model id behind a ``models:/`` URI (empty for others)."""
    m = re.fullmatch(r"models:/([^/@]+)(?:@([^/]+)|/(\d+))", model_uri)
    if not m:
        return {}
    client = mlflow.MlflowClient()
    name, alias, number = m.groups()
    try:
        mv = client.get_model_version_by_alias(name, alias) if alias else client.get_model_version(name, number)
    except mlflow.exceptions.MlflowException:
        return {}
    return {"accord.model_name": name, "accord.model_version": str(mv.version), "accord.source_run_id": mv.run_id
            or "", "accord.model_id": getattr(mv, "model_id", "") or ""}


def evaluate_classifier(model_uri: str, split: str | None = "test", data_file: str | Path | None = None,
                        data_cfg: DataConfig | None = None, uri: str | None = None) -> Evaluation:
    """Predict with the model on the split (or file), print-ready report, and log an evaluation run."""
    tracking.setup(tracking.CLASSIFIER, uri)
    errors: list[InputError] = []
    if data_file is not None:
        rows, errors = read_labelled(data_file)
        name = Path(data_file).stem
        if not rows:
            raise InputError(data_file, "no usable labelled rows")
    else:
        if split not in CLASSIFICATION_SPLITS:
            raise ValueError(f"unknown split {split!r}; choose one of {CLASSIFICATION_SPLITS}")
        rows = classification_datasets(data_cfg or DataConfig())[split].to_list()
        name = split
    model = mlflow.pyfunc.load_model(model_uri)
    texts = [r["text"] for r in rows]
    out = model.predict(texts)
    probs = out[SCORE_COLUMNS].to_numpy(dtype=float)
    y = np.array([to_multi_hot(r["labels"]) for r in rows], dtype=int).reshape(-1, len(LABELS))
    inner = model.unwrap_python_model()
    thresholds = getattr(getattr(inner, "classifier", None), "thresholds", np.full(len(LABELS), 0.5))
    links = _model_links(model_uri)
    from accord.metrics import report

    with mlflow.start_run(run_name=f"eval-{links.get('accord.model_name', 'model')}"
                                   f"-v{links.get('accord.model_version', '?')}-{name}") as run:
        mlflow.set_tags({tracking.RUN_TYPE_TAG: "evaluation", "accord.model_uri": model_uri,
                         "accord.eval_data": str(data_file or split)} | links)
        metrics = log_split_evaluation(name, [r["id"] for r in rows], texts, y, probs, thresholds)
        if links.get("accord.model_id"):
            mlflow.log_metrics(metrics, model_id=links["accord.model_id"])
        if errors:
            mlflow.log_text("\n".join(str(e) for e in errors), "eval/input_errors.txt")
    pred = np.array([to_multi_hot(x) for x in out["labels"]], dtype=int).reshape(-1, len(LABELS))
    _, text = report(y, pred)
    return Evaluation(run.info.run_id, metrics, text, errors)
