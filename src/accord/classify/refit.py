"""Train a chosen classifier again with real validation in its training data (``refit_from``).

Once validation has chosen a recipe, training it once more on every labelled report is the usual last step (as
scikit-learn's ``refit``): here 64% more real news. Validation can then neither tune nor gate the model, so a refit
keeps the version's thresholds and trains every epoch (the last is kept), and it is promoted by a rule of its own:
it replaces the champion it trains again unless a check on data it did not train on fails (:func:`refit_problems`).
The gate then scores the version it refits in its place (:func:`accord.promotion.gate_stand_in`). The store is read
and written by :mod:`accord.classify.train`: the layering rule keeps MLflow to the train, evaluate and benchmark
modules.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from accord.classify.config import ClassifierConfig
from accord.config import flatten

SEED_WRONG_MAX = 3  # seed sentences a refit may get wrong: the gate rule's bound (docs/decisions.md)
CURATED_DROP_MAX = 0.03  # how far below its version a refit may fall on curated validation, which it does not train on
CHECK_SPLIT = "curated_validation"  # the split of that check
# settings that do not change what is trained: a refit may differ from its version in these
NOT_RECIPE = ("run_name", "refit_from", "figures", "minilm.keep_last_epoch", "minilm.threads",
              "minilm.predict_batch_size")


@dataclass(frozen=True)
class Reference:
    """The registered version a refit trains again (``models:/NAME/VERSION``) and its thresholds."""

    uri: str
    thresholds: np.ndarray

    @property
    def version(self) -> str:
        return self.uri.rsplit("/", 1)[1]


def recipe_differences(cfg: ClassifierConfig, saved: ClassifierConfig) -> list[str]:
    """The settings in which ``cfg`` trains otherwise than ``saved`` did (where files live does not count)."""
    mine, theirs = flatten(cfg.family_settings()), flatten(saved.family_settings())
    keys = sorted(k for k in mine.keys() | theirs.keys() if k not in NOT_RECIPE
                  and not (k.startswith("data.") and k.endswith(("_path", "_dir"))))
    return [f"{k} ({mine.get(k)!r}, the version has {theirs.get(k)!r})" for k in keys if mine.get(k) != theirs.get(k)]


def refit_config(cfg: ClassifierConfig) -> ClassifierConfig:
    """``cfg`` as a refit trains it: every epoch, the last kept (an epoch cannot be chosen on data trained on)."""
    return replace(cfg, minilm=replace(cfg.minilm, keep_last_epoch=True))


def refit_problems(metrics: dict[str, float], reference_score: float, version: str) -> list[str]:
    """Why a refit may not replace version ``version`` (none: it may): more than :data:`SEED_WRONG_MAX` seed
    sentences wrong, or :data:`CHECK_SPLIT` macro-F1 more than :data:`CURATED_DROP_MAX` below ``reference_score``,
    the version's there (scored now)."""
    problems, new = [], metrics[f"{CHECK_SPLIT}/macro_f1"]
    if metrics["seed/wrong_sentences"] > SEED_WRONG_MAX:
        problems.append(f"{int(metrics['seed/wrong_sentences'])} seed sentences wrong (at most {SEED_WRONG_MAX})")
    if new < reference_score - CURATED_DROP_MAX:
        problems.append(f"{CHECK_SPLIT} macro-F1 {new:.4f} is more than {CURATED_DROP_MAX} below v{version}'s "
                        f"{reference_score:.4f}")
    return problems
