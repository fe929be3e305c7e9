"""SetFit-style classifiers: a sentence encoder tuned contrastively on labelled pairs, then a linear head.

Step 1 (as SetFit, Tunstall et al. 2022): pairs of training sentences with a target similarity (the Jaccard overlap
of their label sets, ``other`` counted as a label); the encoder's mean-pooled embeddings are pulled towards that
cosine similarity (mean-squared error). Step 2: one-vs-rest logistic regression (balanced) on the tuned,
normalised embeddings. Written here with plain ``transformers`` and ``scikit-learn`` (the ``setfit`` package pins
other versions); any encoder checkpoint works as ``setfit.base_model``.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from accord.bases import resolve_base
from accord.classify.model import SentenceClassifier
from accord.labels import LABELS


def label_sets(y: np.ndarray) -> list[frozenset[int]]:
    """Each row's labels as a set; a sentence with none gets the extra label ``len(LABELS)`` (other)."""
    return [frozenset(np.flatnonzero(row).tolist()) or frozenset({len(LABELS)}) for row in y]


def make_pairs(y: np.ndarray, per_sentence: int, seed: int) -> list[tuple[int, int, float]]:
    """``(i, j, target)`` pairs: for every sentence, half partners that share a label, half that do not."""
    rng = random.Random(seed)
    sets = label_sets(y)
    by_label: dict[int, list[int]] = {}
    for i, labels in enumerate(sets):
        for label in labels:
            by_label.setdefault(label, []).append(i)
    pairs = []
    for i, labels in enumerate(sets):
        for k in range(per_sentence):
            same = by_label[rng.choice(sorted(labels))]
            j = rng.choice(same) if k % 2 == 0 else rng.randrange(len(sets))
            pairs.append((i, j, len(labels & sets[j]) / len(labels | sets[j])))
    rng.shuffle(pairs)
    return pairs


class SetFitClassifier(SentenceClassifier):
    """Contrastively tuned encoder + one-vs-rest logistic regression."""

    family = "setfit"

    def __init__(self, config: Any, encoder: Any = None, tokenizer: Any = None, head: Any = None) -> None:
        super().__init__(config)
        self.encoder, self.tokenizer, self.head = encoder, tokenizer, head

    def _init_encoder(self) -> None:
        from transformers import AutoModel, AutoTokenizer

        base = resolve_base(self.config.setfit.base_model or "minilm")  # an alias, a path or a Hub id
        self.tokenizer = AutoTokenizer.from_pretrained(base)
        self.encoder = AutoModel.from_pretrained(base)

    def embed(self, texts: list[str], grad: bool = False) -> Any:
        """Mean-pooled, L2-normalised embeddings (a torch tensor; with gradients when ``grad``)."""
        import torch

        c = self.config.setfit
        enc = self.tokenizer(texts, truncation=True, max_length=c.max_length, padding=True, return_tensors="pt")
        with torch.set_grad_enabled(grad):
            hidden = self.encoder(**enc).last_hidden_state
            mask = enc["attention_mask"].unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(pooled, dim=-1)

    def _embed_all(self, texts: list[str]) -> np.ndarray:
        size = self.config.setfit.embed_batch_size
        self.encoder.eval()
        parts = [self.embed(texts[i:i + size]).numpy() for i in range(0, len(texts), size)]
        return np.concatenate(parts) if parts else np.zeros((0, 1))

    def _tune_encoder(self, texts: list[str], y: np.ndarray,
                      on_epoch: Callable[[dict[str, float]], None] | None) -> None:
        import torch

        c = self.config.setfit
        optimiser = torch.optim.AdamW(self.encoder.parameters(), lr=c.learning_rate)
        for epoch in range(1, c.epochs + 1):
            pairs = make_pairs(y, c.pairs_per_sentence, self.config.seed + epoch)
            self.encoder.train()
            total = 0.0
            for start in range(0, len(pairs), c.batch_size):
                batch = pairs[start:start + c.batch_size]
                a = self.embed([texts[i] for i, _, _ in batch], grad=True)
                b = self.embed([texts[j] for _, j, _ in batch], grad=True)
                target = torch.tensor([t for _, _, t in batch], dtype=a.dtype)
                loss = torch.nn.functional.mse_loss((a * b).sum(-1), target)
                loss.backward()
                optimiser.step()
                optimiser.zero_grad()
                total += float(loss.detach()) * len(batch)
            row = {"epoch": epoch, "train_loss": total / len(pairs)}
            self.history.append(row)
            if on_epoch:
                on_epoch(row)

    def _fit(self, texts: list[str], y: np.ndarray, val_texts: list[str], val_y: np.ndarray,
             on_epoch: Callable[[dict[str, float]], None] | None) -> None:
        import torch
        from sklearn.linear_model import LogisticRegression
        from sklearn.multiclass import OneVsRestClassifier

        torch.manual_seed(self.config.seed)
        self._init_encoder()
        self._tune_encoder(texts, y, on_epoch)
        head = LogisticRegression(C=self.config.setfit.head_C, class_weight="balanced", max_iter=2000,
                                  random_state=self.config.seed)
        self.head = OneVsRestClassifier(head).fit(self._embed_all(texts), y)

    def _proba(self, texts: list[str]) -> np.ndarray:
        return np.asarray(self.head.predict_proba(self._embed_all(texts)))

    def _save_weights(self, path: Path) -> None:
        import joblib

        self.encoder.save_pretrained(path / "encoder")
        self.tokenizer.save_pretrained(path / "encoder")
        joblib.dump(self.head, path / "head.joblib")

    @classmethod
    def load(cls, path: Path, config: Any) -> SetFitClassifier:
        import joblib
        from transformers import AutoModel, AutoTokenizer

        return cls(config, AutoModel.from_pretrained(path / "encoder").eval(),
                   AutoTokenizer.from_pretrained(path / "encoder"), joblib.load(path / "head.joblib"))

