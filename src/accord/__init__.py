"""Accord: turn bilateral diplomatic news into labelled, summarised, reviewable knowledge.

The public API (imported lazily, so ``import accord`` and ``accord --help`` stay fast)::

    from accord import split_article, LABELS, load_classifier, load_summariser
    sentences = split_article(open("seeds/000_e60c4b46b237ea05.txt").read())
    clf = load_classifier("models/my-classifier"); probs = clf.predict_proba(sentences)

The path article -> sentences -> labels -> brief runs through ``accord.text`` (split), ``accord.classify`` (label),
``accord.summarise`` (summarise) and ``accord.batch`` (many articles, briefs, reports); ``accord.data`` holds the
corpus and splits, ``accord.tracking`` the MLflow conventions, ``accord.cli`` the ``accord`` command.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_API = {
    "split_article": "accord.text", "split_sentences": "accord.text", "clean_article": "accord.text",
    "LABELS": "accord.labels", "OTHER": "accord.labels",
    "load_config": "accord.config", "ConfigError": "accord.config", "InputError": "accord.io",
    "DataConfig": "accord.data.datasets", "classification_datasets": "accord.data.datasets",
    "ClassifierConfig": "accord.classify.config", "build_classifier": "accord.classify.families",
    "load_classifier": "accord.classify.families", "Predictor": "accord.classify.predictor",
    "SummariserConfig": "accord.summarise.config", "NeuralSummariser": "accord.summarise.model",
    "load_summariser": "accord.summarise.model", "Lead1Summariser": "accord.summarise.baselines",
    "TextRankSummariser": "accord.summarise.baselines",
}
__all__ = sorted(_API)


def __getattr__(name: str) -> Any:
    if name in _API:
        return getattr(importlib.import_module(_API[name]), name)
    raise AttributeError(f"module 'accord' has no attribute {name!r}")
