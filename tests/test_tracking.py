"""Tracking conventions: experiment descriptions, the saved review view, the links ``accord ui`` prints."""

from __future__ import annotations

import json

from mlflow import MlflowClient

from accord import tracking


def test_setup_writes_the_description_and_the_review_view(mlflow_uri: str) -> None:
    exp_id = tracking.setup(tracking.CLASSIFIER, mlflow_uri)
    tags = MlflowClient(mlflow_uri).get_experiment(exp_id).tags
    assert tags[tracking.NOTE_TAG] == tracking.EXPERIMENT_NOTES[tracking.CLASSIFIER]
    view = json.loads(tags[tracking.VIEW_TAG])
    gate = f"metrics.`{tracking.GATE_METRIC[tracking.CLASSIFIER]}`"
    assert gate in view["selectedColumns"] and view["orderByKey"] == gate and view["orderByAsc"] is False
    assert all(c.split(".", 1)[0] in {"attributes", "metrics", "params", "tags"} and c.endswith("`")
               for c in view["selectedColumns"])


def test_ui_links_repair_a_stale_view_and_open_in_model_training_mode(mlflow_uri: str) -> None:
    exp_id = tracking.setup(tracking.SUMMARISER, mlflow_uri)
    client = MlflowClient(mlflow_uri)
    client.set_experiment_tag(exp_id, tracking.VIEW_TAG, "{}")  # a store written by an older Accord
    links = dict(tracking.ui_links("http://h:1", mlflow_uri))
    runs = links[f"{tracking.SUMMARISER} runs, review columns"]
    assert runs == (f"http://h:1/#/experiments/{exp_id}/runs?workflowType=machine_learning"
                    f"&viewStateShareKey={tracking.VIEW_KEY}")
    assert links["registered models (@champion)"].endswith("/#/models?workflowType=machine_learning")
    assert json.loads(client.get_experiment(exp_id).tags[tracking.VIEW_TAG])["selectedColumns"]
    assert f"{tracking.CLASSIFIER} runs, review columns" not in links  # no such experiment yet: no dead link
