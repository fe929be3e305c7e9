"""Multi-label metrics, per-label thresholds and reports for the sentence classifier (plots: ``plots.py``).

All arrays are 0/1 or probability matrices of shape ``(n_sentences, len(LABELS))`` in :data:`~accord.labels.LABELS`
order. Thresholds are tuned on ``validation`` only (:func:`tune_thresholds`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import classification_report, f1_score, hamming_loss, precision_recall_fscore_support

from accord.labels import LABELS, display, from_multi_hot

THRESHOLD_GRID = np.round(np.arange(0.05, 0.951, 0.025), 3)


def apply_thresholds(probs: np.ndarray, thresholds: np.ndarray | list[float]) -> np.ndarray:
    """0/1 predictions: label ``j`` is on where ``probs[:, j] >= thresholds[j]``."""
    return (np.asarray(probs) >= np.asarray(thresholds)[None, :]).astype(int)


def paired_bootstrap_wins(y_true: np.ndarray, pred_new: np.ndarray, pred_old: np.ndarray, groups: list[str],
                          n: int = 1000, seed: int = 0) -> float:
    """Share of ``n`` resamples of whole articles (sentences of one report are not independent) in which
    ``pred_new`` has the higher macro-F1: how sure a gain on a small validation set is."""
    return paired_bootstrap_difference(y_true, pred_new, pred_old, groups, n, seed)["wins"]


def paired_bootstrap_difference(y_true: np.ndarray, pred_new: np.ndarray, pred_old: np.ndarray, groups: list[str],
                                n: int = 1000, seed: int = 0, alpha: float = 0.05) -> dict[str, float]:
    """Macro-F1 of ``pred_new`` minus ``pred_old`` with its (1 - alpha) percentile interval over ``n`` resamples of
    whole articles, and the share of resamples ``pred_new`` wins (the gate's statistic): how large a gain the
    validation set can tell from noise, not only whether it is a gain."""
    y_true, pred_new, pred_old = (np.asarray(a, dtype=int) for a in (y_true, pred_new, pred_old))
    names, index = np.unique(np.asarray(groups), return_inverse=True)

    def counts(pred: np.ndarray) -> np.ndarray:  # per article, per label: tp, fp, fn
        parts = [y_true & pred, (1 - y_true) & pred, y_true & (1 - pred)]
        out = np.zeros((len(names), y_true.shape[1], 3))
        for k, part in enumerate(parts):
            np.add.at(out[:, :, k], index, part)
        return out

    def macro(c: np.ndarray) -> np.ndarray:  # c: (..., labels, 3) -> macro-F1
        denom = 2 * c[..., 0] + c[..., 1] + c[..., 2]
        return np.where(denom > 0, 2 * c[..., 0] / np.maximum(denom, 1), 0.0).mean(axis=-1)

    draws = np.random.default_rng(seed).integers(0, len(names), size=(n, len(names)))
    weights = np.stack([np.bincount(d, minlength=len(names)) for d in draws])
    full = {k: counts(p) for k, p in (("new", pred_new), ("old", pred_old))}
    new, old = (np.einsum("ra,alk->rlk", weights, full[k]) for k in ("new", "old"))
    diffs = macro(new) - macro(old)
    return {"diff": float(macro(full["new"].sum(axis=0)) - macro(full["old"].sum(axis=0))),
            "low": float(np.quantile(diffs, alpha / 2)), "high": float(np.quantile(diffs, 1 - alpha / 2)),
            "wins": float((diffs > 0).mean())}


CROSS_FIT_HALVINGS = 20  # random halvings of the articles averaged over by cross_fitted_difference


def cross_fitted(y_true: np.ndarray, probs: np.ndarray, groups: list[str], seed: int) -> np.ndarray:
    """0/1 predictions with thresholds tuned on the other half of the articles (one seeded halving, both ways): a
    score free of the optimism of tuning thresholds on the sentences being scored."""
    names = np.unique(np.asarray(groups))
    first = set(np.random.default_rng(seed).permutation(names)[: len(names) // 2])
    in_first = np.array([g in first for g in groups])
    out = np.zeros_like(np.asarray(y_true, dtype=int))
    for tune, score in ((in_first, ~in_first), (~in_first, in_first)):
        out[score] = apply_thresholds(probs[score], tune_thresholds(y_true[tune], probs[tune]))
    return out


def cross_fitted_score(y_true: np.ndarray, probs: np.ndarray, groups: list[str],
                       halvings: int = CROSS_FIT_HALVINGS) -> float:
    """One model's macro-F1 on cross-fitted predictions, averaged over ``halvings`` seeded halvings: what the gate
    compares (the same halvings for every model, so two models' scores pair)."""
    return float(np.mean([multilabel_metrics(y_true, cross_fitted(y_true, probs, groups, seed))["macro_f1"]
                          for seed in range(halvings)]))


def cross_fitted_difference(y_true: np.ndarray, probs_new: np.ndarray, probs_old: np.ndarray, groups: list[str],
                            halvings: int = CROSS_FIT_HALVINGS) -> dict[str, float]:
    """The gate's paired statistic on cross-fitted predictions, averaged over ``halvings`` seeded halvings: each
    model's macro-F1 (:func:`cross_fitted_score`), the difference, its interval's bounds and the share of article
    resamples the new one wins."""
    rows = []
    for seed in range(halvings):
        new, old = (cross_fitted(y_true, p, groups, seed) for p in (probs_new, probs_old))
        d = paired_bootstrap_difference(y_true, new, old, groups)
        rows.append([multilabel_metrics(y_true, new)["macro_f1"], multilabel_metrics(y_true, old)["macro_f1"],
                     d["diff"], d["low"], d["high"], d["wins"]])
    keys = ("new", "old", "diff", "low", "high", "wins")
    # each column averaged as cross_fitted_score averages it, so the same model scores exactly the same either way
    return {key: float(np.mean([row[k] for row in rows])) for k, key in enumerate(keys)}


def tune_thresholds(y_true: np.ndarray, probs: np.ndarray, grid: np.ndarray = THRESHOLD_GRID) -> np.ndarray:
    """Per-label threshold maximising that label's F1; ties go to the threshold closest to 0.5.

    Every cut of the grid is counted at once (the gate tunes 80 times per comparison): F1 = 2·tp / (2·tp + fp + fn),
    0 where nothing is predicted or true, as scikit-learn's ``f1_score(zero_division=0)``.
    """
    y_true, probs = np.asarray(y_true, dtype=bool), np.asarray(probs)
    best = np.full(y_true.shape[1], 0.5)
    for j in range(y_true.shape[1]):
        if not y_true[:, j].any():
            continue  # nothing to tune on: keep 0.5
        on = probs[:, j, None] >= grid[None, :]  # (sentences, cuts)
        tp = (on & y_true[:, j, None]).sum(axis=0)
        wrong = on.sum(axis=0) - tp + (y_true[:, j].sum() - tp)  # fp + fn
        scores = 2 * tp / np.maximum(2 * tp + wrong, 1)
        candidates = grid[np.isclose(scores, scores.max())]
        best[j] = min(candidates, key=lambda t: (abs(t - 0.5), t))
    return best


def multilabel_metrics(y_true: np.ndarray, y_pred: np.ndarray) -> dict[str, float]:
    """Micro/macro F1, subset accuracy, Hamming loss, wrong sentences, per-label precision/recall/F1/support."""
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    p, r, f, s = precision_recall_fscore_support(y_true, y_pred, average=None, zero_division=0,
                                                 labels=list(range(len(LABELS))))
    out: dict[str, float] = {
        "micro_f1": float(f1_score(y_true, y_pred, average="micro", zero_division=0)),
        "macro_f1": float(f1_score(y_true, y_pred, average="macro", zero_division=0)),
        "subset_accuracy": float((y_true == y_pred).all(axis=1).mean()),
        "hamming_loss": float(hamming_loss(y_true, y_pred)),
        "wrong_sentences": float((y_true != y_pred).any(axis=1).sum()),
        "n_sentences": float(len(y_true)),
    }
    for j, name in enumerate(LABELS):
        out |= {f"precision_{name}": float(p[j]), f"recall_{name}": float(r[j]), f"f1_{name}": float(f[j]),
                f"support_{name}": float(s[j])}
    return out


PER_LABEL = ("precision_", "recall_", "f1_", "support_")


def metric_names(split: str, metrics: dict[str, float]) -> dict[str, float]:
    """MLflow names grouped by split, so the chart view has a section per split: ``real_test/macro_f1``; the
    per-label metrics get their own section (``real_test_labels/f1_visas``) to keep the main one short."""
    return {(f"{split}_labels/{k}" if k.startswith(PER_LABEL) else f"{split}/{k}"): v for k, v in metrics.items()}


def report(y_true: np.ndarray, y_pred: np.ndarray) -> tuple[dict[str, Any], str]:
    """scikit-learn's classification report as a dict (JSON) and as text, plus the multi-label summary lines."""
    kwargs = {"target_names": list(LABELS), "zero_division": 0, "labels": list(range(len(LABELS)))}
    as_dict = classification_report(y_true, y_pred, output_dict=True, **kwargs)
    m = multilabel_metrics(y_true, y_pred)
    as_dict["multilabel"] = {k: m[k] for k in ("subset_accuracy", "hamming_loss", "wrong_sentences", "n_sentences")}
    text = classification_report(y_true, y_pred, digits=3, **kwargs)
    text += (f"\nsubset accuracy {m['subset_accuracy']:.3f}   Hamming loss {m['hamming_loss']:.4f}   "
             f"wrong sentences {int(m['wrong_sentences'])} of {int(m['n_sentences'])}\n")
    return as_dict, text


def misclassified(ids: list[str], texts: list[str], y_true: np.ndarray, y_pred: np.ndarray,
                  probs: np.ndarray) -> pd.DataFrame:
    """One row per wrongly labelled sentence: gold, predicted, missed, extra and every label's probability."""
    rows = []
    for i in np.flatnonzero((y_true != y_pred).any(axis=1)):
        gold, pred = from_multi_hot(y_true[i]), from_multi_hot(y_pred[i])
        missed, extra = sorted(set(gold) - set(pred)), sorted(set(pred) - set(gold))
        rows.append({"id": ids[i], "text": texts[i], "gold": display(gold), "predicted": display(pred),
                     "missed": ",".join(missed), "extra": ",".join(extra),
                     **{f"p_{name}": round(float(probs[i, j]), 4) for j, name in enumerate(LABELS)}})
    return pd.DataFrame(rows, columns=["id", "text", "gold", "predicted", "missed", "extra",
                                       *(f"p_{n}" for n in LABELS)])
