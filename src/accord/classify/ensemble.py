"""An ensemble of classifier families: the weighted mean of their probabilities, one set of thresholds on top.

Members are fitted one after another on the same data, each with its own config section; they are saved in
sub-folders and loaded back by :func:`accord.classify.families.load_classifier`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from accord.classify.config import registered
from accord.classify.model import SentenceClassifier


class EnsembleClassifier(SentenceClassifier):
    """Weighted mean of member classifiers' probabilities."""

    family = "ensemble"

    def __init__(self, config: Any, members: list[SentenceClassifier]) -> None:
        super().__init__(config)
        self.members = members
        weights = np.asarray(config.ensemble.weight_list(), dtype=float)
        self.weights = weights / weights.sum()
        self.member_names = member_names(config.ensemble.member_list())

    def prepare(self, texts: list[str]) -> list[str]:
        return list(texts)  # each member prepares its own input

    def _fit(self, texts: list[str], y: np.ndarray, val_texts: list[str], val_y: np.ndarray,
             on_epoch: Callable[[dict[str, float]], None] | None) -> None:
        for name, member in zip(self.member_names, self.members, strict=True):
            if member.fitted_from:  # a registered version, trained on the same data (checked before the run)
                continue
            member.fit(texts, y, val_texts, val_y, on_epoch=_tagged(on_epoch, name))
            self.history += [row | {"member": name} for row in member.history]

    def _proba(self, texts: list[str]) -> np.ndarray:
        return sum(w * m.predict_proba(texts) for w, m in zip(self.weights, self.members, strict=True))

    def _save_weights(self, path: Path) -> None:
        for k, member in enumerate(self.members):
            member.save(path / f"member{k}-{member.family}")


def member_folders(path: Path) -> list[Path]:
    """The member folders of an ensemble saved at ``path``, in member order (as ``_save_weights`` names them)."""
    return [d for d in sorted(Path(path).glob("member*-*")) if d.is_dir()]


def member_names(members: list[str]) -> list[str]:
    """Names that tell members apart in metrics and history (``member1-gemma``): two MiniLM members, or a MiniLM
    beside a Gemma (both of the minilm family), would otherwise log their epochs under the same keys."""
    return [f"member{k}-{'v' + Path(name).name if registered(name) else Path(name).stem}"
            for k, name in enumerate(members)]


def _tagged(on_epoch: Callable[[dict[str, Any]], None] | None, name: str) -> Callable[[dict[str, Any]], None] | None:
    return None if on_epoch is None else (lambda row: on_epoch(row | {"member": name}))
