"""Train a chosen classifier again with real validation in its training data (``refit_from``).

Once validation has chosen a recipe, training it once more on every labelled report is the usual last step (as
scikit-learn's ``refit``): here 64% more real news. Validation can then neither tune nor gate the model, so a refit
keeps the version's thresholds and trains every epoch (the last is kept), and it is promoted by a rule of its own
(:func:`refit_decision`): it replaces the champion it trains again, unless the checks on data it did not train on
fail. The gate then scores the version it refits in its place (:func:`accord.tracking.gate_stand_in`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from accord import tracking
from accord.classify.config import META_FILE, ClassifierConfig, config_from_meta
from accord.classify.metrics import apply_thresholds, multilabel_metrics
from accord.config import ConfigError, flatten
from accord.data.datasets import split_arrays

SEED_WRONG_MAX = 3  # seed sentences a refit may get wrong: the gate rule's bound (docs/decisions.md)
CURATED_DROP_MAX = 0.03  # how far below its version a refit may fall on curated validation, which it does not train on
CHECK_SPLIT = "curated_validation"  # the split of that check
# settings that do not change what is trained: a refit may differ from its version in these
NOT_RECIPE = ("run_name", "refit_from", "minilm.keep_last_epoch", "minilm.threads", "minilm.predict_batch_size")


@dataclass(frozen=True)
class Reference:
    """The registered version a refit trains again: its thresholds and its model, for the curated check."""

    uri: str
    version: str
    thresholds: np.ndarray
    model: Any  # the version's pyfunc


def recipe_differences(cfg: ClassifierConfig, saved: ClassifierConfig) -> list[str]:
    """The settings in which ``cfg`` trains otherwise than ``saved`` did (where files live does not count)."""
    mine, theirs = flatten(cfg.family_settings()), flatten(saved.family_settings())
    keys = sorted(k for k in mine.keys() | theirs.keys() if k not in NOT_RECIPE
                  and not (k.startswith("data.") and k.endswith(("_path", "_dir"))))
    return [f"{k} ({mine.get(k)!r}, the version has {theirs.get(k)!r})" for k in keys if mine.get(k) != theirs.get(k)]


def reference(cfg: ClassifierConfig) -> Reference:
    """The version ``cfg.refit_from`` names, read from the current store before a run starts: one the store lacks,
    or one trained with another recipe, is a :class:`ConfigError` naming it."""
    import mlflow

    from accord.classify.train import registered_folder

    try:
        folder = registered_folder(cfg.refit_from)
    except tracking.ModelNotFound as exc:
        raise ConfigError(f"refit_from: {exc}") from None
    meta = json.loads((folder / META_FILE).read_text(encoding="utf-8"))
    differences = recipe_differences(cfg, config_from_meta(meta["config"]))
    if differences:
        raise ConfigError(f"refit_from: {cfg.refit_from} was trained with another recipe: {'; '.join(differences)}")
    return Reference(cfg.refit_from, cfg.refit_from.rsplit("/", 1)[1], np.asarray(meta["thresholds"], dtype=float),
                     mlflow.pyfunc.load_model(cfg.refit_from))


def refit_config(cfg: ClassifierConfig) -> ClassifierConfig:
    """``cfg`` as a refit trains it: every epoch, the last kept (an epoch cannot be chosen on data trained on)."""
    return replace(cfg, minilm=replace(cfg.minilm, keep_last_epoch=True))


def refit_decision(ref: Reference, version: str, dd: Any, metrics: dict[str, float], run_id: str | None
                   ) -> tracking.GateDecision:
    """Promote the refit ``version`` by the refit rule: at most :data:`SEED_WRONG_MAX` seed sentences wrong and
    curated validation no more than :data:`CURATED_DROP_MAX` below the version it trains again (scored now)."""
    from accord.classify.train import registered_probabilities

    _, texts, y = split_arrays(dd[CHECK_SPLIT])
    old = multilabel_metrics(y, apply_thresholds(registered_probabilities(ref.model, texts), ref.thresholds))
    new, key = metrics[f"{CHECK_SPLIT}/macro_f1"], "macro_f1"
    problems = []
    if metrics["seed/wrong_sentences"] > SEED_WRONG_MAX:
        problems.append(f"{int(metrics['seed/wrong_sentences'])} seed sentences wrong (at most {SEED_WRONG_MAX})")
    if new < old[key] - CURATED_DROP_MAX:
        problems.append(f"{CHECK_SPLIT} macro-F1 {new:.4f} is more than {CURATED_DROP_MAX} below v{ref.version}'s "
                        f"{old[key]:.4f}")
    return tracking.promote_refit(tracking.CLASSIFIER, version, ref.version, (new, old[key]),
                                  f"{CHECK_SPLIT}/{key}", problems, run_id)
