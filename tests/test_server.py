"""Against a real ``mlflow server`` on 127.0.0.1: train over HTTP, read metrics, artifacts and the alias via REST.

The server (the ``server`` fixture in conftest) gets a free port, a temp sqlite store and a temp artifact root.
"""

from __future__ import annotations

import json
import urllib.parse
import urllib.request
from typing import Any

import pytest

from accord import tracking
from accord.classify.config import ClassifierConfig
from tests.conftest import train_classifier


def get(base: str, endpoint: str, **params: str) -> dict[str, Any]:
    url = f"{base}{endpoint}?{urllib.parse.urlencode(params)}"
    with urllib.request.urlopen(url, timeout=30) as resp:
        return json.loads(resp.read())


def test_train_against_a_real_server_and_read_back_over_rest(server: str) -> None:
    result = train_classifier(ClassifierConfig(family="tfidf", limit_train=200), uri=server, figures=True)
    run = get(server, "/api/2.0/mlflow/runs/get", run_id=result.run_id)["run"]
    metrics = {m["key"]: m["value"] for m in run["data"]["metrics"]}
    assert metrics["real_validation/macro_f1"] == pytest.approx(result.metrics["real_validation/macro_f1"])
    assert {"real_test/macro_f1", "seed/macro_f1", "time/train_s"} <= set(metrics)
    top = {f["path"] for f in get(server, "/api/2.0/mlflow/artifacts/list", run_id=result.run_id)["files"]}
    assert {"config.yaml", "thresholds.json", "eval"} <= top
    images = {f["path"] for f in get(server, "/api/2.0/mlflow/artifacts/list", run_id=result.run_id,
                                     path="eval/real_validation")["files"]}
    assert {"eval/real_validation/confusion_matrices.png", "eval/real_validation/pr_curves.png"} <= images
    alias = get(server, "/api/2.0/mlflow/registered-models/alias", name=tracking.CLASSIFIER,
                alias=tracking.CHAMPION)["model_version"]
    assert alias["version"] == result.version == "1" and alias["run_id"] == result.run_id
    with urllib.request.urlopen(f"{server}/", timeout=30) as resp:  # the UI itself is served
        assert resp.status == 200 and b"<html" in resp.read(4096).lower()


def test_server_command_defaults_to_the_project_store() -> None:
    cmd = tracking.server_command("sqlite:////data/x/mlflow.db")
    assert cmd[1:4] == ["-m", "mlflow", "server"]
    assert cmd[cmd.index("--backend-store-uri") + 1] == "sqlite:////data/x/mlflow.db"
    assert cmd[cmd.index("--host") + 1] == "127.0.0.1"
    assert cmd[cmd.index("--artifacts-destination") + 1] == "/data/x/mlartifacts"
