"""The promotion gate: who may take the ``champion`` alias, decided under a lock per store and written down.

A new version takes the alias only if it beats the champion on the gate metric (:data:`accord.tracking.GATE_METRIC`)
and, where the two models' predictions can be paired, in :data:`GATE_CONFIDENCE` of the resamples. A refit (trained
again with the gate split in its data) is judged by its own rule instead (:func:`promote_refit`). Every decision is
tagged on the version and its run, so the MLflow UI shows why.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from accord.storage import tracking_uri
from accord.tracking import CHAMPION, GATE_METRIC, MODEL_NOTES, REFIT_TAG

# Where the gate can pair the two models' predictions (the classifier), a new version must also beat the champion in
# this share of article-bootstrap resamples of the gate split: a gain within the noise of a small split is not
# promoted.
GATE_CONFIDENCE = 0.975  # a 95% paired interval that excludes zero (docs/decisions.md, stop 41)


@dataclass
class GateDecision:
    """What the promotion gate decided for a new model version."""

    promoted: bool
    new_score: float
    champion_score: float | None
    champion_version: str | None
    metric: str
    reason: str = ""

    def tags(self) -> dict[str, str]:
        """Tags for the version and its run; never empty values (a missing champion is said in words)."""
        return {
            "gate.decision": "promoted" if self.promoted else "rejected",
            "gate.metric": self.metric,
            "gate.new_score": f"{self.new_score:.6f}",
            "gate.champion_score": "none" if self.champion_score is None else f"{self.champion_score:.6f}",
            "gate.champion_version": self.champion_version or "none",
            "gate.reason": self.reason,
        }


@contextlib.contextmanager
def gate_lock(uri: str | None = None) -> Iterator[None]:
    """An exclusive lock per tracking store around read-compare-set of the champion alias, so two promotions at
    once cannot leave the worse model ``@champion``. The lock file sits beside a sqlite store, else in the cache."""
    import fcntl
    import hashlib

    uri = tracking_uri(uri)
    if uri.startswith("sqlite:///"):
        lock = Path(uri.removeprefix("sqlite:///")).with_suffix(".gate.lock")
    else:
        lock = Path.home() / ".cache" / "accord" / f"gate-{hashlib.sha1(uri.encode()).hexdigest()[:12]}.lock"
    lock.parent.mkdir(parents=True, exist_ok=True)
    with open(lock, "a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


# a champion's score, or (score, share of paired resamples the new version wins[, 95% interval of new - champion])
Rescore = Callable[[str], "float | tuple[float, float] | tuple[float, float, tuple[float, float]]"]


def _champion_score(current: Any, metric: str, rescore: Rescore | None) -> tuple[float | None, float | None, Any]:
    """``(score, wins, interval)``: the champion's score on the gate metric, measured again by ``rescore`` on
    today's data where given (so a champion chosen on another split or older data is compared fairly), else read
    from its tags or run; ``wins`` and ``interval`` (of the new version's score minus the champion's): from the
    paired resamples, where ``rescore`` can pair them."""
    import mlflow

    if rescore is not None:
        out = rescore(f"models:/{current.name}/{current.version}")
        return (*out, None)[:3] if isinstance(out, tuple) else (out, None, None)
    raw = current.tags.get("gate.new_score")
    if raw and current.tags.get("gate.metric", metric) == metric:
        return float(raw), None, None
    return (mlflow.get_run(current.run_id).data.metrics.get(metric) if current.run_id else None), None, None


def _gate_reason(metric: str, score: float, current: Any, champion: float | None, wins: float | None,
                 interval: tuple[float, float] | None = None) -> str:
    if current is None:
        return "first version of this model"
    if champion is None:
        return "the champion has no score to beat"
    text = f"{metric} {score:.4f} {'>' if score > champion else '<='} champion v{current.version}'s {champion:.4f}"
    if wins is not None:
        text += (f"; better in {wins:.0%} of article resamples of the gate split (promotion needs "
                 f"{GATE_CONFIDENCE:.1%})")
    if interval is not None:
        text += f"; the difference's 95% interval over them [{interval[0]:+.4f}, {interval[1]:+.4f}]"
    return text


def _champion(client: Any, model_name: str) -> Any:
    """The version ``@champion`` points at, or None (no version is yet)."""
    from mlflow.exceptions import MlflowException

    try:
        return client.get_model_version_by_alias(model_name, CHAMPION)
    except MlflowException:
        return None


def _record(client: Any, model_name: str, version: str, decision: GateDecision, run_id: str | None) -> None:
    """A gate decision as tags on the version and its run; the champion alias moved if promoted."""
    for key, value in decision.tags().items():
        client.set_model_version_tag(model_name, str(version), key, value)
        if run_id:
            client.set_tag(run_id, key, value)
    if decision.promoted:
        client.set_registered_model_alias(model_name, CHAMPION, str(version))


def gate_stand_in(client: Any, version: Any) -> Any:
    """The version the gate scores for ``version``: itself, or for a refit (trained with the gate split in its data,
    so its own scores there are in-sample) the version it refits, followed to one that is not a refit."""
    seen = set()
    while version.tags.get(REFIT_TAG) and version.version not in seen:
        seen.add(version.version)
        version = client.get_model_version(version.name, version.tags[REFIT_TAG])
    return version


def promote_refit(model_name: str, version: str, of: str, scores: tuple[float, float], metric: str,
                  problems: list[str], run_id: str | None = None) -> GateDecision:
    """Move the ``champion`` alias to the refit ``version`` of version ``of`` if ``of`` is the champion (or what the
    gate scores for it) and its checks found no ``problems``; ``scores``: the refit's and ``of``'s on ``metric``,
    the check on data neither trained on. The gate split cannot judge a refit (docs/decisions.md)."""
    from mlflow import MlflowClient

    client = MlflowClient()
    client.set_model_version_tag(model_name, str(version), REFIT_TAG, str(of))
    with gate_lock():
        current = _champion(client, model_name)
        champion = str(current.version) if current else None
        of_champion = current is not None and str(of) in {champion, str(gate_stand_in(client, current).version)}
        problems = [*([] if of_champion else [f"v{of} is not the {CHAMPION} (v{champion}): a refit replaces only "
                                              "its own version"]), *problems]
        if problems:
            reason = f"refit of v{of}, not promoted: {'; '.join(problems)}"
        else:
            reason = (f"refit of the {CHAMPION} v{of} with the gate split in its training data, promoted by the refit "
                      f"rule: {metric} {scores[0]:.4f} against v{of}'s {scores[1]:.4f}, no check failed")
        decision = GateDecision(not problems, scores[0], scores[1], champion, metric, reason)
        _record(client, model_name, version, decision, run_id)
    return decision


def promote_if_better(model_name: str, version: str, score: float, run_id: str | None = None,
                      metric: str | None = None, rescore: Rescore | None = None) -> GateDecision:
    """Move the ``champion`` alias to ``version`` only if ``score`` beats the champion's (the first version wins)
    and, where ``rescore`` pairs the two models, does so in :data:`GATE_CONFIDENCE` of the resamples.

    Under :func:`gate_lock`. The decision, both scores and the reason are written as tags on the new version and
    on its run.
    """
    from mlflow import MlflowClient

    client = MlflowClient()
    metric = metric or GATE_METRIC.get(model_name, "score")
    with gate_lock():
        current = _champion(client, model_name)
        same = current is not None and str(current.version) == str(version)
        scored = None if current is None or same else gate_stand_in(client, current)
        champion_score, wins, interval = (None, None, None) if scored is None else \
            _champion_score(scored, metric, rescore)
        promoted = current is None or champion_score is None or (
            score > champion_score and (wins is None or wins >= GATE_CONFIDENCE))
        reason = (f"version {version} is already the {CHAMPION}" if same
                  else _gate_reason(metric, score, scored, champion_score, wins, interval))
        if scored is not None and scored.version != current.version:
            reason += f" (v{scored.version} stands in for the {CHAMPION} v{current.version}, its refit)"
        decision = GateDecision(promoted, score, champion_score, str(current.version) if current else None, metric,
                                reason)
        _record(client, model_name, version, decision, run_id)
    return decision


def describe_version(model_name: str, version: str, decision: GateDecision | None, headline: str) -> None:
    """The registered model's description and the version's: what it scored and why the gate promoted it or not."""
    from mlflow import MlflowClient

    client = MlflowClient()
    if model_name in MODEL_NOTES:
        client.update_registered_model(model_name, description=MODEL_NOTES[model_name])
    verdict = "" if decision is None else (f"{'Promoted to @champion' if decision.promoted else 'Not promoted'}: "
                                          f"{decision.reason}. ")
    client.update_model_version(model_name, version, description=f"{verdict}{headline}")
