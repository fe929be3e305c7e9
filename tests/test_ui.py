"""The MLflow UI in a real browser (Chromium driven by Playwright) against a real ``mlflow server``.

What a reviewer does: open the links ``accord ui`` prints, see the runs with the gate metric as a column (not the
GenAI view), open a run's description and plots, find the registered model with its ``@champion`` alias.
Skipped where no Chromium is installed, except in CI (``CI=true``), which installs it and must run this.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from accord import tracking
from accord.classify.config import ClassifierConfig
from tests.conftest import train_classifier

CHROMIUM = os.environ.get("ACCORD_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
SHOTS = os.environ.get("ACCORD_UI_SHOTS")  # a folder: keep the screenshots (docs/images uses them)


@pytest.fixture
def page() -> Iterator[Any]:
    if CHROMIUM is None:
        if os.environ.get("CI") == "true":
            pytest.fail("CI must install chromium (apt-get install chromium) for the UI tests")
        pytest.skip("no chromium on this machine")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield browser.new_page(viewport={"width": 1600, "height": 900})
        finally:
            browser.close()


def _open(page: Any, url: str, expect: str, shot: str, tmp_path: Path) -> None:
    """Go to ``url`` and wait until ``expect`` shows (the UI polls, so the network never goes idle)."""
    page.goto(url)
    page.get_by_text(expect).first.wait_for(timeout=60_000)
    page.wait_for_timeout(500)  # let the rest of the page settle before the screenshot
    page.screenshot(path=str(Path(SHOTS or tmp_path) / shot))


def test_review_links_show_runs_metrics_and_the_champion(server: str, page: Any, tmp_path: Path) -> None:
    result = train_classifier(ClassifierConfig(family="tfidf", limit_train=200), uri=server, figures=True)
    links = dict(tracking.ui_links(server, server))
    runs = links[f"{tracking.CLASSIFIER} runs, review columns"]
    assert "workflowType=machine_learning" in runs and f"viewStateShareKey={tracking.VIEW_KEY}" in runs

    _open(page, runs, "real_test/macro_f1", "runs.png", tmp_path)  # a metric column, from the saved view
    assert page.get_by_text(tracking.GATE_METRIC[tracking.CLASSIFIER]).count() >= 1
    gate = result.metrics["real_validation/macro_f1"]
    assert page.get_by_text(str(gate)[:6]).count() >= 1  # the gate score, as logged (the UI shows every digit)

    exp = runs.split("/#/experiments/")[1].split("/")[0]
    _open(page, f"{server}/#/experiments/{exp}/runs/{result.run_id}", "tfidf trained on", "run.png", tmp_path)

    _open(page, links["registered models (@champion)"], tracking.CLASSIFIER, "models.png", tmp_path)
    _open(page, f"{server}/#/models/{tracking.CLASSIFIER}", "Serves accord classify", "model.png", tmp_path)
    assert page.get_by_text(tracking.CHAMPION).count() >= 1  # the alias beside version 1
    _open(page, f"{server}/#/models/{tracking.CLASSIFIER}/versions/{result.version}", "Promoted to @champion",
          "version.png", tmp_path)  # why the gate moved the alias


def test_accord_ui_opens_the_review_page_and_stops_cleanly(tmp_path: Path) -> None:
    import signal
    import subprocess
    import sys
    import time

    from tests.conftest import free_port

    opened = tmp_path / "opened.txt"
    browser = tmp_path / "browser.sh"
    browser.write_text(f'#!/bin/sh\necho "$1" > {opened}\n')
    browser.chmod(0o755)
    uri = f"sqlite:///{tmp_path / 'ui.db'}"
    tracking.setup(tracking.CLASSIFIER, uri)
    port = free_port()
    env = {**os.environ, "BROWSER": f"{browser} %s", "MLFLOW_TRACKING_URI": uri}
    proc = subprocess.Popen([sys.executable, "-m", "accord.cli", "ui", "--port", str(port), "--open"], env=env,
                            stderr=subprocess.PIPE, text=True, cwd=tmp_path)
    try:
        deadline = time.monotonic() + 150
        while not opened.exists() and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.5)
        assert opened.exists(), proc.stderr.read() if proc.poll() is not None else "no browser opened in time"
        assert opened.read_text().strip().endswith(f"runs?workflowType=machine_learning&viewStateShareKey="
                                                   f"{tracking.VIEW_KEY}")
    finally:
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    assert proc.returncode == 0 and "Traceback" not in err, err
    assert f"127.0.0.1:{port}" in err
