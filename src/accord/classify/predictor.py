"""Scores and label lists for many sentences from a registered classifier: the engine of ``accord classify``.

A pyfunc that wraps an accord MiniLM classifier runs on ``runtime`` at ``precision``: ``onnx`` (ONNX Runtime, the
export cached by :mod:`accord.classify.onnx`) or ``torch`` (length-sorted batches under ``inference_mode``;
``int8``: dynamic quantisation of every Linear layer; ``bf16``, torch only: the weights cast to bfloat16). An
ensemble's MiniLM-family members run the same way. A TF-IDF classifier is called directly; any other pyfunc goes
through its ``predict``.
"""

from __future__ import annotations

import contextlib
import os
from typing import Any

import numpy as np

from accord.classify.onnx import PRECISIONS, onnx_servable
from accord.labels import SCORE_COLUMNS, from_multi_hot
from accord.system import machine_threads

RUNTIMES = ("torch", "onnx")  # how a MiniLM classifier runs (accord classify --runtime)
# The fastest backend within 0.01 real-validation macro-F1 of torch fp32 (docs/batch.md, classify benchmark): for
# the real-news champion int8 loses 0.02, so fp32 (ONNX fp32 gives torch's scores to ~1e-6)
DEFAULT_RUNTIME, DEFAULT_PRECISION = "onnx", "fp32"
TORCH_PRECISIONS = ("bf16",)  # torch only (no ONNX path): opt-in, it changes ~0.3% of label sets (docs/batch.md)
ALL_PRECISIONS = (*PRECISIONS, *TORCH_PRECISIONS)


def backend_problem(runtime: str, precision: str) -> str | None:
    """What is wrong with a runtime/precision pair, or None."""
    if runtime not in RUNTIMES:
        return f"--runtime must be one of {RUNTIMES}, got {runtime!r}"
    if precision not in ALL_PRECISIONS:
        return f"--precision must be one of {ALL_PRECISIONS}, got {precision!r}"
    return None


def serving_runtime(runtime: str, precision: str) -> str:
    """The runtime a pair runs on: a torch-only precision runs in torch whatever the runtime asked."""
    return "torch" if precision in TORCH_PRECISIONS else runtime


def minilm_backend(runtime: str, precision: str, members: int = 0) -> str:
    """How a MiniLM predictor (or an ensemble of ``members`` MiniLMs) runs, as ``Predictor.backend`` says it."""
    one = f"minilm {runtime} {precision}"
    return f"ensemble of {members} {one}" if members else one


class Predictor:
    """``predictor(texts) -> (probabilities, label lists)`` over a loaded pyfunc model."""

    def __init__(self, model: Any, runtime: str = DEFAULT_RUNTIME, precision: str = DEFAULT_PRECISION,
                 cache_dir: str | os.PathLike[str] | None = None) -> None:
        problem = backend_problem(runtime, precision)
        if problem:
            raise ValueError(problem.replace("--", ""))
        runtime = serving_runtime(runtime, precision)
        self.model = model
        self.classifier = _inner_classifier(model)
        self.scorer: Any = self.classifier
        self.backend = "pyfunc" if self.classifier is None else getattr(self.classifier, "family", "accord")
        family = getattr(self.classifier, "family", "")
        if family == "minilm":
            runtime = runtime if onnx_servable(self.classifier) else "torch"
            self.scorer = _minilm_scorer(self.classifier, runtime, precision, cache_dir)
            self.backend = minilm_backend(runtime, precision)
        elif family == "ensemble" and runtime == "onnx" and onnx_servable(self.classifier):
            from accord.classify.onnx import OnnxEnsemble

            self.scorer = OnnxEnsemble.from_classifier(self.classifier, precision, cache_dir)
            self.backend = minilm_backend(runtime, precision, len(self.scorer.members))
        elif family == "ensemble":  # in torch: its MiniLM-family members at ``precision``
            families = [m.family for m in self.classifier.members]
            for member in self.classifier.members:
                if member.family == "minilm":
                    _minilm_scorer(member, "torch", precision, cache_dir)
            self.backend = (minilm_backend("torch", precision, len(families)) if set(families) == {"minilm"}
                            else f"ensemble ({'+'.join(families)}) torch {precision}")
        if runtime == "onnx" and self.scorer is not self.classifier:  # hold no reference to the torch model: its
            self.model, self.classifier = None, self.scorer  # memory goes once the caller's does

    @classmethod
    def from_scorer(cls, scorer: Any, runtime: str, precision: str) -> Predictor:
        """A predictor over a ready MiniLM scorer (``predict_proba`` and ``thresholds``) running on ``runtime`` at
        ``precision``, e.g. an ONNX classifier rebuilt from the model cache without torch."""
        self = cls.__new__(cls)
        self.model, self.classifier, self.scorer = None, scorer, scorer
        self.backend = minilm_backend(runtime, precision, len(getattr(scorer, "members", [])))
        return self

    def __call__(self, texts: list[str]) -> tuple[np.ndarray, list[list[str]]]:
        if self.scorer is not None:
            probs = np.asarray(self.scorer.predict_proba(texts), dtype=float)
            return probs, [from_multi_hot(row >= self.scorer.thresholds) for row in probs]
        df = self.model.predict(texts)
        return df[list(SCORE_COLUMNS)].to_numpy(dtype=float), [list(x) for x in df["labels"]]


def _inner_classifier(model: Any) -> Any:
    """The accord classifier inside a pyfunc (anything with ``predict_proba`` and ``thresholds``; the model itself
    where it is one), or None."""
    if hasattr(model, "predict_proba") and hasattr(model, "thresholds"):
        return model
    with contextlib.suppress(Exception):
        clf = getattr(model.unwrap_python_model(), "classifier", None)
        if clf is not None and hasattr(clf, "predict_proba") and hasattr(clf, "thresholds"):
            return clf
    return None


def _minilm_scorer(classifier: Any, runtime: str, precision: str, cache_dir: Any) -> Any:
    if runtime == "onnx":
        from accord.classify.onnx import OnnxClassifier

        return OnnxClassifier.from_classifier(classifier, precision, cache_dir)
    import torch

    if not classifier.config.minilm.threads:
        torch.set_num_threads(machine_threads())
    if precision == "int8":
        classifier.model = quantize_linear(classifier.model)
    elif precision == "bf16":
        classifier.model = classifier.model.to(torch.bfloat16)  # the head too; probabilities come back as float64
    return classifier


def quantize_linear(model: Any) -> Any:
    """int8 dynamic quantisation of every ``torch.nn.Linear`` (weights int8, activations quantised on the fly)."""
    import torch
    from torch.ao.quantization import quantize_dynamic

    return quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8).eval()
