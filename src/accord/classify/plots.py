"""Figures of a classifier's evaluation: per-label confusion matrices, precision-recall curves, per-label F1 bars."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure
from sklearn.metrics import multilabel_confusion_matrix, precision_recall_curve

from accord.labels import LABELS


def confusion_figure(y_true: np.ndarray, y_pred: np.ndarray, title: str = "") -> Figure:
    """One 2x2 confusion matrix per label."""
    cms = multilabel_confusion_matrix(y_true, y_pred, labels=list(range(len(LABELS))))
    fig, axes = plt.subplots(1, len(LABELS), figsize=(3.2 * len(LABELS), 3.4))
    for ax, cm, name in zip(axes, cms, LABELS, strict=True):
        ax.imshow(cm, cmap="Blues")
        for (i, j), v in np.ndenumerate(cm):
            ax.text(j, i, str(v), ha="center", va="center", color="white" if v > cm.max() / 2 else "black")
        ax.set_xticks([0, 1], ["no", "yes"])
        ax.set_yticks([0, 1], ["no", "yes"])
        ax.set_xlabel("predicted")
        ax.set_ylabel("true")
        ax.set_title(name)
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def pr_figure(y_true: np.ndarray, probs: np.ndarray, thresholds: np.ndarray, title: str = "") -> Figure:
    """Precision-recall curve per label, with the chosen threshold marked."""
    fig, ax = plt.subplots(figsize=(6.5, 5))
    for j, name in enumerate(LABELS):
        if y_true[:, j].sum() == 0:
            continue
        precision, recall, thr = precision_recall_curve(y_true[:, j], probs[:, j])
        line = ax.plot(recall, precision, label=name)[0]
        k = int(np.searchsorted(thr, thresholds[j])) if len(thr) else 0
        k = min(k, len(thr) - 1)
        if k >= 0:
            ax.plot(recall[k], precision[k], "o", color=line.get_color())
    ax.set_xlabel("recall")
    ax.set_ylabel("precision")
    ax.set_xlim(0, 1.02)
    ax.set_ylim(0, 1.02)
    ax.legend(loc="lower left")
    ax.set_title(title or "precision-recall (dot = tuned threshold)")
    fig.tight_layout()
    return fig


def f1_figure(y_true: np.ndarray, y_pred: np.ndarray, title: str = "") -> Figure:
    """F1 per label as bars (with the support in the label), so runs compare at a glance."""
    from sklearn.metrics import precision_recall_fscore_support

    _, _, f1, support = precision_recall_fscore_support(y_true, y_pred, labels=list(range(len(LABELS))),
                                                        zero_division=0)
    fig, ax = plt.subplots(figsize=(6.5, 3.2))
    ax.bar([f"{n}\n(n={s})" for n, s in zip(LABELS, support, strict=True)], f1, color="#4b6cb7")
    for k, v in enumerate(f1):
        ax.text(k, v + 0.02, f"{v:.2f}", ha="center")
    ax.set_ylim(0, 1.1)
    ax.set_ylabel("F1")
    ax.set_title(title or "F1 per label")
    fig.tight_layout()
    return fig


def as_image(fig: Figure) -> np.ndarray:
    """The figure's pixels (RGB), for ``mlflow.log_image`` with a key."""
    fig.canvas.draw()
    return np.asarray(fig.canvas.buffer_rgba())[..., :3].copy()
