"""An ensemble of classifier families: the weighted mean of their probabilities, one set of thresholds on top.

Members are fitted one after another on the same data, each with its own config section; they are saved in
sub-folders and loaded back by :func:`accord.classify.families.load_classifier`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from accord.classify.model import SentenceClassifier


class EnsembleClassifier(SentenceClassifier):
    """Weighted mean of member classifiers' probabilities."""

    family = "ensemble"

    def __init__(self, config: Any, members: list[SentenceClassifier]) -> None:
        super().__init__(config)
        self.members = members
        weights = np.asarray(config.ensemble.weight_list(), dtype=float)
        self.weights = weights / weights.sum()

    def prepare(self, texts: list[str]) -> list[str]:
        return list(texts)  # each member prepares its own input

    def _fit(self, texts: list[str], y: np.ndarray, val_texts: list[str], val_y: np.ndarray,
             on_epoch: Callable[[dict[str, float]], None] | None) -> None:
        for member in self.members:
            member.fit(texts, y, val_texts, val_y, on_epoch=on_epoch if member.family == "minilm" else None)
            self.history += [row | {"member": member.family} for row in member.history]

    def _proba(self, texts: list[str]) -> np.ndarray:
        return sum(w * m.predict_proba(texts) for w, m in zip(self.weights, self.members, strict=True))

    def _save_weights(self, path: Path) -> None:
        for k, member in enumerate(self.members):
            member.save(path / f"member{k}-{member.family}")


def member_folders(path: Path) -> list[Path]:
    """The member folders of an ensemble saved at ``path``, in member order (as ``_save_weights`` names them)."""
    return [d for d in sorted(Path(path).glob("member*-*")) if d.is_dir()]
