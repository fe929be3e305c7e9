"""Multi-label metrics and threshold tuning against hand-computed values."""

from __future__ import annotations

import numpy as np
import pytest

from accord.classify.metrics import (
    apply_thresholds,
    cross_fitted,
    cross_fitted_difference,
    cross_fitted_score,
    misclassified,
    multilabel_metrics,
    paired_bootstrap_difference,
    paired_bootstrap_wins,
    report,
    tune_thresholds,
)
from accord.labels import LABELS

Y = np.array([[1, 0, 0, 0, 0], [1, 1, 0, 0, 0], [0, 0, 1, 0, 0], [0, 0, 0, 0, 0]])
P = np.array([[1, 0, 0, 0, 0], [1, 0, 0, 0, 0], [0, 0, 1, 0, 1], [0, 0, 0, 0, 0]])


def test_metrics_by_hand() -> None:
    m = multilabel_metrics(Y, P)
    # tp=3, fp=1, fn=1 -> micro P=R=F1=0.75
    assert m["micro_f1"] == pytest.approx(0.75)
    # per-label F1: trade 1, defence 0, technology 1, people_to_people 0 (no support), visas 0 -> mean 0.4
    assert m["macro_f1"] == pytest.approx(0.4)
    assert m["subset_accuracy"] == pytest.approx(0.5)
    assert m["hamming_loss"] == pytest.approx(2 / 20)
    assert m["wrong_sentences"] == 2 and m["recall_defence"] == 0 and m["precision_trade"] == 1


def test_report_has_multilabel_summary() -> None:
    as_dict, text = report(Y, P)
    assert as_dict["multilabel"]["wrong_sentences"] == 2
    assert "wrong sentences 2 of 4" in text and "people_to_people" in text


def test_tune_thresholds_picks_the_separating_cut() -> None:
    y = np.array([[1], [1], [0], [0]]).repeat(5, axis=1)
    probs = np.array([[0.3], [0.25], [0.2], [0.1]]).repeat(5, axis=1)
    thr = tune_thresholds(y, probs)
    assert np.all(apply_thresholds(probs, thr) == y)
    assert np.all((thr > 0.2) & (thr <= 0.25))


def test_tune_thresholds_picks_what_a_per_cut_scikit_learn_search_picks() -> None:
    """The vectorised search against the plain loop it replaced (scikit-learn's F1 at each cut, ties closest to 0.5),
    on scores rounded to the grid's steps so that ties between cuts are common."""
    from sklearn.metrics import f1_score

    from accord.classify.metrics import THRESHOLD_GRID

    rng = np.random.default_rng(7)
    for trial in range(30):
        n = int(rng.integers(5, 120))
        y = rng.integers(0, 2, size=(n, len(LABELS))) * (rng.random(len(LABELS)) < 0.9)  # some labels absent
        probs = np.round(np.clip(y * rng.random() + rng.random(y.shape) * 0.8, 0, 1) * 40) / 40
        expected = np.full(len(LABELS), 0.5)
        for j in range(len(LABELS)):
            if y[:, j].sum():
                scores = [f1_score(y[:, j], probs[:, j] >= t, zero_division=0) for t in THRESHOLD_GRID]
                ties = [t for t, s in zip(THRESHOLD_GRID, scores, strict=True) if np.isclose(s, max(scores))]
                expected[j] = min(ties, key=lambda t: (abs(t - 0.5), t))
        assert (tune_thresholds(y, probs) == expected).all(), trial


def test_threshold_stays_at_half_without_positives() -> None:
    thr = tune_thresholds(np.zeros((3, 5), dtype=int), np.full((3, 5), 0.9))
    assert np.all(thr == 0.5)


def test_misclassified_table() -> None:
    probs = P * 0.9
    table = misclassified(["a", "b", "c", "d"], ["ta", "tb", "tc", "td"], Y, P, probs)
    assert table["id"].tolist() == ["b", "c"]
    assert table.loc[0, "missed"] == "defence" and table.loc[1, "extra"] == "visas"
    assert table.loc[1, "gold"] == "technology" and table.loc[1, "predicted"] == "technology+visas"


def test_paired_bootstrap_resamples_whole_articles() -> None:
    """Two articles: the new model is right on the first and wrong on the second, the old one the reverse. A resample
    is a draw of two articles: (1st, 1st) favours new, (2nd, 2nd) old, a mix ties, so new wins about a quarter."""
    y = np.array([[1, 0, 0, 0, 0]] * 2 + [[0, 1, 0, 0, 0]] * 2)
    new = np.array([[1, 0, 0, 0, 0]] * 2 + [[0, 0, 0, 0, 0]] * 2)
    old = np.array([[0, 0, 0, 0, 0]] * 2 + [[0, 1, 0, 0, 0]] * 2)
    groups = ["a", "a", "b", "b"]
    assert paired_bootstrap_wins(y, new, old, groups, n=4000) == pytest.approx(0.25, abs=0.03)
    # perfect against old: wins unless only the second article is drawn (both perfect there): about three quarters
    assert paired_bootstrap_wins(y, y, old, groups, n=4000) == pytest.approx(0.75, abs=0.03)
    assert paired_bootstrap_wins(y, y, y, groups) == 0.0  # a tie is never a win
    d = paired_bootstrap_difference(y, y, old, groups, n=4000)  # same draws as the wins above
    assert d["wins"] == paired_bootstrap_wins(y, y, old, groups, n=4000)
    # macro-F1 over the five labels: perfect 0.4 (two labels with support), old 0.2; a resample of the second
    # article alone ties (0.2 each), any other gains 0.2
    assert d["diff"] == pytest.approx(0.2) and d["low"] == 0.0 and d["high"] == pytest.approx(0.2)
    assert paired_bootstrap_difference(y, y, y, groups) == {"diff": 0.0, "low": 0.0, "high": 0.0, "wins": 0.0}


def test_cross_fitted_thresholds_never_see_the_sentences_they_score() -> None:
    """An article's predictions come from thresholds tuned on the other half: flipping its gold leaves them as they
    were (in-sample tuning would move them), and a cleanly separable score gives the gold back."""
    rng = np.random.default_rng(3)
    groups = [f"a{i // 5}" for i in range(200)]
    y = rng.integers(0, 2, size=(200, len(LABELS)))
    probs = np.clip(y * 0.5 + rng.normal(0.25, 0.2, size=y.shape), 0, 1)
    before = cross_fitted(y, probs, groups, seed=0)
    flipped = y.copy()
    flipped[:5] = 1 - flipped[:5]  # article a0's gold
    assert (cross_fitted(flipped, probs, groups, seed=0)[:5] == before[:5]).all()
    assert not (apply_thresholds(probs, tune_thresholds(flipped, probs)) == before).all()
    separable = y * 0.6 + 0.2
    assert (cross_fitted(y, separable, groups, seed=1) == y).all()


def test_cross_fitted_difference_of_a_model_with_itself_is_zero() -> None:
    rng = np.random.default_rng(4)
    groups = [f"a{i // 4}" for i in range(80)]
    y = rng.integers(0, 2, size=(80, len(LABELS)))
    probs = rng.random(y.shape)
    d = cross_fitted_difference(y, probs, probs, groups, halvings=3)
    assert d["diff"] == 0.0 and d["wins"] == 0.0 and d["new"] == d["old"]
    better = cross_fitted_difference(y, y * 0.8 + 0.1, probs, groups, halvings=3)
    assert better["new"] == 1.0 and better["diff"] > 0.3 and better["wins"] == 1.0
    # each model's own cross-fitted score is exactly the one the difference pairs (the gate scores the two apart,
    # and a model gated against itself must tie, not win by a rounding)
    assert cross_fitted_score(y, probs, groups, halvings=3) == better["old"] == d["new"]
    assert cross_fitted_score(y, y * 0.8 + 0.1, groups, halvings=3) == 1.0
