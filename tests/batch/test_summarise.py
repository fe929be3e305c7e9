"""`accord summarise`: .txt files, folders and JSONL in, {"id", "summary"} out; bad inputs named and skipped."""

from __future__ import annotations

import json
from pathlib import Path

import mlflow
from typer.testing import CliRunner

from accord import paths, tracking
from accord.cli import app
from accord.pyfunc import log_summariser
from accord.summarise.baselines import Lead1Summariser


def _register_lead1(uri: str) -> None:
    tracking.setup(tracking.SUMMARISER, uri)
    with mlflow.start_run(run_name="lead1-baseline") as run:
        info = log_summariser(Lead1Summariser(), tracking.SUMMARISER, ["HÀ NỘI — One. Two."])
        tracking.promote_if_better(tracking.SUMMARISER, str(info.registered_model_version), 0.0, run.info.run_id)


def test_summarise_files_folders_and_jsonl(mlflow_uri: str, tmp_path: Path) -> None:
    _register_lead1(mlflow_uri)
    folder = tmp_path / "news"
    folder.mkdir()
    (folder / "a.txt").write_text("TOKYO — The ministers met in Tokyo. They discussed trade.", encoding="utf-8")
    feed = tmp_path / "feed.jsonl"
    feed.write_text(json.dumps({"id": "x1", "body": "Both sides agreed to cooperate. More text."}) + "\n"
                    + "{oops\n" + json.dumps({"id": "x2", "text": "no body field"}) + "\n", encoding="utf-8")
    out = tmp_path / "summaries.jsonl"
    result = CliRunner().invoke(app, ["summarise", str(paths.SEEDS_DIR / "001_7a087df03baec5be.txt"), str(folder),
                                      str(feed), str(tmp_path / "missing.txt"), "--text-field", "body", "--out",
                                      str(out), "--tracking-uri", mlflow_uri, "--quiet"])
    assert result.exit_code == 1
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in rows] == ["001_7a087df03baec5be", "a", "x1"]
    assert rows[0]["summary"].startswith("President Lương Cường met with Speaker")
    assert rows[1]["summary"] == "The ministers met in Tokyo."
    assert rows[2]["summary"] == "Both sides agreed to cooperate."
    errors = [json.loads(line) for line in (tmp_path / "summaries.jsonl.errors.jsonl").read_text().splitlines()]
    assert {(Path(e["file"]).name, e["line"]) for e in errors} == {("feed.jsonl", 2), ("feed.jsonl", 3),
                                                                  ("missing.txt", None)}
    assert "feed.jsonl:2: malformed JSON" in result.stderr


def test_summarise_without_a_model_says_what_to_run(mlflow_uri: str, tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["summarise", str(paths.SEEDS_DIR), "--tracking-uri", mlflow_uri])
    assert result.exit_code == 1 and "no summariser to run" in result.stderr
