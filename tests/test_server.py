"""Against a real ``mlflow server`` on 127.0.0.1: train over HTTP, read metrics, artifacts and the alias via REST.

The server gets a free port, a temp sqlite store and a temp artifact root, and is always stopped at the end.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from accord import tracking
from accord.classify.model import ClassifierConfig
from tests.conftest import train_classifier


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(base: str, endpoint: str, **params: str) -> dict[str, Any]:
    url = f"{base}{endpoint}?{urllib.parse.urlencode(params)}"
    with urllib.request.urlopen(url, timeout=30) as resp:
        return json.loads(resp.read())


@pytest.fixture
def server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A real MLflow server (own process group, so its workers stop with it); yields its base URL."""
    port = free_port()
    cmd = tracking.server_command(f"sqlite:///{tmp_path / 'server.db'}", "127.0.0.1", port, tmp_path / "artifacts")
    log = (tmp_path / "server.log").open("wb")
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, cwd=tmp_path, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(f"{base}/health", timeout=2) as resp:
                    if resp.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"mlflow server did not start:\n{(tmp_path / 'server.log').read_text()[-3000:]}")
            time.sleep(0.5)
        monkeypatch.setenv("MLFLOW_TRACKING_URI", base)
        monkeypatch.setenv("ACCORD_CHECKPOINTS", str(tmp_path / "checkpoints"))
        yield base
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)
        log.close()


def test_train_against_a_real_server_and_read_back_over_rest(server: str) -> None:
    result = train_classifier(ClassifierConfig(family="tfidf", limit_train=200), uri=server)
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
