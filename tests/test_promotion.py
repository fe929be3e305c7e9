"""The promotion gate: a gain must be sure where the two models can be paired, and the reason says the numbers."""

from __future__ import annotations

from mlflow import MlflowClient

from accord import promotion, tracking


def test_gate_needs_a_sure_gain_where_it_can_pair_the_models(mlflow_uri: str, tmp_path) -> None:
    """A higher score winning only 60% (or 96%) of paired resamples is rejected, both numbers in the reason; 99%
    passes: the bar is a 95% interval that excludes zero."""
    import mlflow

    mlflow.set_tracking_uri(mlflow_uri)
    client = MlflowClient(mlflow_uri)
    name = "accord-gate-paired"
    client.create_registered_model(name)
    versions = [client.create_model_version(name, source=str(tmp_path)).version for _ in range(3)]
    promotion.promote_if_better(name, versions[0], 0.80, metric="gate/score")
    unsure = promotion.promote_if_better(name, versions[1], 0.81, metric="gate/score", rescore=lambda uri: (0.80, 0.6))
    assert not unsure.promoted and "60% of article resamples" in unsure.reason and "needs 97.5%" in unsure.reason
    near = promotion.promote_if_better(name, versions[2], 0.83, metric="gate/score", rescore=lambda uri: (0.80, 0.96))
    assert not near.promoted and "96% of article resamples" in near.reason
    sure = promotion.promote_if_better(name, versions[2], 0.83, metric="gate/score", rescore=lambda uri: (0.80, 0.99))
    assert sure.promoted and client.get_model_version_by_alias(name, tracking.CHAMPION).version == versions[2]
    later = client.create_model_version(name, source=str(tmp_path)).version  # with the difference's interval
    wide = promotion.promote_if_better(name, later, 0.84, metric="gate/score",
                                       rescore=lambda uri: (0.83, 0.7, (-0.012, 0.031)))
    assert not wide.promoted and "70% of article resamples" in wide.reason and "[-0.0120, +0.0310]" in wide.reason
