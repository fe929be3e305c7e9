"""Distillation targets: a teacher's probabilities mixed into the gold of the sentences it scored.

A slow, better classifier (the ensemble champion) scores the training sentences once (``training/teacher_scores.py``);
a MiniLM then trains on ``(1 - w)·gold + w·teacher`` where a sentence is in the file, the gold alone elsewhere
(sentences added since, by review). BCE takes soft targets as they are; thresholds are still tuned on the gold of
real validation, which the teacher file never holds.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from accord import paths
from accord.io import InputError, iter_jsonl
from accord.labels import LABELS


def teacher_files(value: str) -> list[Path]:
    """The files a ``minilm.teacher`` / ``minilm.teacher_unlabelled`` setting names (comma-separated)."""
    return paths.project_paths(value)


def read_teacher(path: Path) -> dict[str, np.ndarray]:
    """Sentence text -> the teacher's probabilities in :data:`LABELS` order; a bad row is an InputError (FILE:LINE)."""
    errors: list[InputError] = []
    out: dict[str, np.ndarray] = {}
    for line, row in iter_jsonl(path, errors):
        probs = row.get("probs")
        if not isinstance(row.get("text"), str) or not isinstance(probs, dict) or set(probs) != set(LABELS):
            errors.append(InputError(path, f"expected {{text, probs: {{{', '.join(LABELS)}}}}}", line))
            continue
        values = [probs[label] for label in LABELS]
        if not all(isinstance(v, (int, float)) and not isinstance(v, bool) and 0 <= v <= 1 for v in values):
            errors.append(InputError(path, "probabilities must be numbers in [0, 1]", line))
            continue
        out[row["text"]] = np.array(values, dtype=float)
    if errors:
        raise errors[0]
    return out


def mixed_targets(texts: list[str], y: np.ndarray, teacher: dict[str, np.ndarray], weight: float
                  ) -> tuple[np.ndarray, float]:
    """The training targets and the share of ``texts`` the teacher scored."""
    targets = np.asarray(y, dtype=float).copy()
    found = [i for i, text in enumerate(texts) if text in teacher]
    for i in found:
        targets[i] = (1 - weight) * targets[i] + weight * teacher[texts[i]]
    return targets, len(found) / max(len(texts), 1)


def unlabelled_examples(path: Path, teacher: dict[str, np.ndarray], train: set[str], validation: set[str]
                        ) -> tuple[list[str], np.ndarray]:
    """Sentences without gold to train on, with the teacher's probabilities as targets; a validation sentence among
    them would leak into what thresholds and the gate are measured on, so it is refused (an InputError)."""
    leaked = sorted(set(teacher) & validation)
    if leaked:
        raise InputError(path, f"{len(leaked)} sentence(s) of the validation split, e.g. {leaked[0][:80]!r}")
    texts = [t for t in teacher if t not in train]
    return texts, np.array([teacher[t] for t in texts], dtype=float).reshape(-1, len(LABELS))
