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


def test_quiet_libraries_stops_weight_loading_bars_whatever_was_imported_first() -> None:
    """The evaluate and review commands import huggingface_hub (which reads its progress-bar switch from the
    environment once) before a model loads; transformers then copies the hub's switch at its own import."""
    from tests.conftest import run_fresh_python

    script = ("import json, os\n"
              "os.environ.pop('HF_HUB_DISABLE_PROGRESS_BARS', None)\n"
              "import huggingface_hub.constants  # reads the environment now, as the CLI's imports do\n"
              "from accord import tracking\n"
              "tracking.quiet_libraries()\n"
              "from transformers.utils import logging\n"
              "print(json.dumps(logging.is_progress_bar_enabled()))\n")
    assert json.loads(run_fresh_python(script, "sqlite:///:memory:")) is False


def test_a_run_records_the_arithmetic_its_bf16_switch_got(mlflow_uri: str, monkeypatch) -> None:
    """``bf16: true`` is a request: the run's tag says bf16 only where the machine computes it natively."""
    import mlflow

    tracking.setup(tracking.CLASSIFIER, mlflow_uri)
    tags = {}
    for native, bf16 in [(True, True), (False, True), (True, False)]:
        monkeypatch.setattr("accord.system.bf16_native", lambda device=None, native=native: native)
        with mlflow.start_run() as run:
            tracking.log_run_preamble("training", "minilm", {"minilm": {"bf16": bf16, "epochs": 1}})
        tags[native, bf16] = MlflowClient(mlflow_uri).get_run(run.info.run_id).data.tags[tracking.PRECISION_TAG]
    assert tags == {(True, True): "bf16", (False, True): "fp32", (True, False): "fp32"}
    with mlflow.start_run() as run:
        tracking.log_run_preamble("evaluation", "minilm", {"minilm": {"bf16": True}})
    logged = MlflowClient(mlflow_uri).get_run(run.info.run_id).data.tags
    assert tracking.PRECISION_TAG not in logged and logged[tracking.CPU_TAG].endswith(" threads")
