"""Registered classifiers' probabilities, kept on disk: the gate scores today's champion again at every training run
and every ``accord train gate`` (on today's gate split, with thresholds of its own), and loading and scoring a
MiniLM champion there takes about a minute on two cores.

    old = probabilities("models:/accord-classifier/2", texts, lambda: registered_probabilities(load(), texts))

An entry is found only by everything its numbers depend on (:func:`key`): the registered version's logged model
(MLflow's ``source``, unique per logged model, so a re-created store's v1 never meets another store's) and run, the
texts, the processor, the versions of the libraries that compute the scores, and a digest of accord's own code (a
change to how a sentence is prepared or served makes every entry unreachable). So a hit returns the very numbers the
computation would, and the gate decides as it would without the cache. Entries are written to a temp file and renamed
into place (:func:`accord.io.atomic_open`); one that cannot be read, or has another shape, is computed again and
replaced. Folder: ``$ACCORD_SCORES_CACHE``, else ``models/scores-cache``; the :data:`KEEP` most recently used entries
are kept.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import logging
import os
import re
from collections.abc import Callable
from pathlib import Path

import numpy as np

from accord import paths
from accord.io import atomic_open
from accord.labels import LABELS
from accord.system import cpu_model, pinned_requirements

CACHE_ENV = "ACCORD_SCORES_CACHE"
KEEP = 32  # entries kept; a gate split's probabilities are a few hundred KB
LIBRARIES = ("numpy", "scikit-learn", "torch", "onnxruntime", "transformers", "mlflow")  # what computes the scores
VERSION_URI = re.compile(r"models:/([^/@\s]+)/(\d+)")  # a fixed version: an alias moves, so it is never a key

logger = logging.getLogger(__name__)


def cache_root() -> Path:
    """``$ACCORD_SCORES_CACHE``, else ``models/scores-cache`` under the project root."""
    return Path(os.environ.get(CACHE_ENV) or paths.MODELS_DIR / "scores-cache")


@functools.cache
def code_digest() -> str:
    """A digest of every Python file of the installed accord package (path and bytes)."""
    root = Path(__file__).resolve().parents[1]
    h = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        h.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()


def key(model_uri: str, texts: list[str]) -> str | None:
    """The entry's name for ``model_uri`` (``models:/NAME/VERSION`` in the current store) scoring ``texts``;
    ``None`` for any other URI (not cached)."""
    from mlflow import MlflowClient

    match = VERSION_URI.fullmatch(model_uri)
    if match is None:
        return None
    version = MlflowClient().get_model_version(*match.groups())
    h = hashlib.sha256()
    for part in (version.source, version.run_id or "", cpu_model(), *pinned_requirements(LIBRARIES), code_digest(),
                 str(len(texts)), *texts):
        h.update(part.encode("utf-8") + b"\0")
    return h.hexdigest()[:40]


def probabilities(model_uri: str, texts: list[str], compute: Callable[[], np.ndarray]) -> np.ndarray:
    """``compute()`` (the registered model's probabilities for ``texts``), read from the cache where an entry has
    the same :func:`key`, else computed and stored."""
    name = key(model_uri, texts)
    if name is None:
        return compute()
    path = cache_root() / f"{name}.npy"
    with contextlib.suppress(OSError, ValueError, EOFError):
        found = np.load(path, allow_pickle=False)
        if found.shape == (len(texts), len(LABELS)):
            os.utime(path)  # most recently used: kept longest
            return found
    probs = np.asarray(compute(), dtype=float)
    try:
        _store(path, probs)
    except OSError as exc:  # a cache that cannot be written only costs the next run the computation
        logger.warning("could not keep the scores of %s in %s: %s", model_uri, path.parent, exc)
    return probs


def _store(path: Path, probs: np.ndarray) -> None:
    """Write ``probs`` atomically, then drop all but the :data:`KEEP` most recently used entries."""
    with atomic_open(path, "wb") as fh:
        np.save(fh, probs, allow_pickle=False)
    entries = []
    for entry in path.parent.glob("*.npy"):
        with contextlib.suppress(FileNotFoundError):  # another process may prune at the same time
            entries.append((entry.stat().st_mtime, entry))
    for _, old in sorted(entries, reverse=True)[KEEP:]:
        with contextlib.suppress(FileNotFoundError):
            old.unlink()
