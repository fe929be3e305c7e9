"""Every classifier family by name: build a fresh one, load a saved one.

Their settings are in :mod:`accord.classify.config`; ``tfidf`` and ``minilm`` live in :mod:`accord.classify.model`,
``setfit`` in :mod:`accord.classify.setfit`, ``ensemble`` in :mod:`accord.classify.ensemble`; this module is the
one place that knows them all.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

from accord.classify.config import (
    FAMILIES,
    ClassifierConfig,
    config_from_meta,
    member_configs,
    registered,
    registered_member,
)
from accord.classify.ensemble import EnsembleClassifier, member_folders
from accord.classify.model import META_FILE, SentenceClassifier, TfidfClassifier, TransformerClassifier
from accord.classify.setfit import SetFitClassifier
from accord.labels import LABELS

SINGLE: dict[str, type[SentenceClassifier]] = {"tfidf": TfidfClassifier, "minilm": TransformerClassifier,
                                               "setfit": SetFitClassifier}


def build_classifier(config: ClassifierConfig) -> SentenceClassifier:
    """A fresh, untrained classifier of ``config.family``."""
    if config.family == "ensemble":  # a registered version joins as trained; the others are built to be fitted
        return EnsembleClassifier(config, [_registered(name) if registered(name) else build_classifier(member)
                                           for name, member in zip(config.ensemble.member_list(),
                                                                   member_configs(config), strict=True)])
    if config.family not in SINGLE:
        raise ValueError(f"unknown family {config.family!r}; choose one of {FAMILIES}")
    return SINGLE[config.family](config)


def _registered(uri: str) -> SentenceClassifier:
    """A registered version as an ensemble member that is not fitted again (``fitted_from`` says where it is from)."""
    member = load_classifier(registered_member(uri)[0])
    member.fitted_from = uri
    return member


def load_classifier(path: str | os.PathLike[str]) -> SentenceClassifier:
    """Load a classifier saved by :meth:`SentenceClassifier.save` (an ensemble with its members)."""
    p = Path(path)
    meta = json.loads((p / META_FILE).read_text(encoding="utf-8"))
    if meta["labels"] != list(LABELS):
        raise ValueError(f"{p}: model labels {meta['labels']} differ from the schema {list(LABELS)}")
    config = config_from_meta(meta["config"])
    if meta["family"] == "ensemble":
        members = [load_classifier(d) for d in member_folders(p)]
        clf: SentenceClassifier = EnsembleClassifier(config, members)
    else:
        clf = SINGLE[meta["family"]].load(p, config)  # type: ignore[attr-defined]
    clf.thresholds = np.asarray(meta["thresholds"], dtype=float)
    return clf
