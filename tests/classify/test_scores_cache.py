"""The registered classifiers' scores cache: a hit gives the computed numbers back without computing; anything the
numbers depend on (version, texts, accord's code) misses; a damaged entry is computed again; old entries go."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from accord import tracking
from accord.classify import scores_cache
from accord.labels import LABELS

TEXTS = ["The two sides agreed to expand trade.", "Visas will be waived for tourists."]


class Counter:
    """A computation that counts its calls and returns fresh random probabilities each time."""

    def __init__(self, seed: int = 0) -> None:
        self.calls, self.rng = 0, np.random.default_rng(seed)

    def __call__(self, n: int = len(TEXTS)) -> np.ndarray:
        self.calls += 1
        return self.rng.random((n, len(LABELS)))


@pytest.fixture
def store(tiny_store: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("MLFLOW_TRACKING_URI", tiny_store)
    monkeypatch.setenv(scores_cache.CACHE_ENV, str(tmp_path / "scores"))
    tracking.setup(tracking.CLASSIFIER, tiny_store)
    return tiny_store


def test_a_hit_is_the_computed_numbers_and_anything_they_depend_on_misses(store: str, monkeypatch: pytest.MonkeyPatch
                                                                          ) -> None:
    compute, v1 = Counter(), f"models:/{tracking.CLASSIFIER}/1"
    first = scores_cache.probabilities(v1, TEXTS, compute)
    assert np.array_equal(scores_cache.probabilities(v1, TEXTS, compute), first) and compute.calls == 1
    scores_cache.probabilities(f"models:/{tracking.CLASSIFIER}/2", TEXTS, compute)  # another version
    scores_cache.probabilities(v1, TEXTS[:1], lambda: compute(1))  # other texts
    scores_cache.probabilities(f"models:/{tracking.CLASSIFIER}@champion", TEXTS, compute)  # an alias: never cached
    scores_cache.probabilities(f"models:/{tracking.CLASSIFIER}@champion", TEXTS, compute)
    assert compute.calls == 5
    monkeypatch.setattr(scores_cache, "code_digest", lambda: "accord's code changed")
    assert not np.array_equal(scores_cache.probabilities(v1, TEXTS, compute), first) and compute.calls == 6


def test_a_damaged_entry_is_computed_again_and_replaced(store: str) -> None:
    compute, v1 = Counter(), f"models:/{tracking.CLASSIFIER}/1"
    scores_cache.probabilities(v1, TEXTS, compute)
    [entry] = scores_cache.cache_root().glob("*.npy")
    entry.write_bytes(b"not an array")
    again = scores_cache.probabilities(v1, TEXTS, compute)
    assert compute.calls == 2 and np.array_equal(np.load(entry), again)
    np.save(entry, np.zeros((3, 3)))  # another shape
    scores_cache.probabilities(v1, TEXTS, compute)
    assert compute.calls == 3 and list(entry.parent.iterdir()) == [entry]  # no temp file left


def test_only_the_newest_entries_are_kept_and_an_unwritable_cache_only_costs_time(
        store: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(scores_cache, "KEEP", 2)
    compute = Counter()
    for n in (1, 2, 3):
        scores_cache.probabilities(f"models:/{tracking.CLASSIFIER}/1", TEXTS[:1] * n, lambda n=n: compute(n))
    assert len(list(scores_cache.cache_root().glob("*.npy"))) == 2
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    monkeypatch.setenv(scores_cache.CACHE_ENV, str(blocker / "scores"))  # a folder under a file: cannot be made
    assert scores_cache.probabilities(f"models:/{tracking.CLASSIFIER}/1", TEXTS, compute).shape == (2, len(LABELS))
