"""Evaluation entry point: any model URI on a split or labelled JSONL, logged as an evaluation run."""

from __future__ import annotations

import json
from pathlib import Path

from mlflow import MlflowClient
from typer.testing import CliRunner

from accord import tracking
from accord.classify.config import ClassifierConfig
from accord.classify.evaluate import EvalConfig, evaluate
from accord.cli import app
from tests.conftest import train_classifier


def test_evaluate_champion_on_seed_and_on_a_file(mlflow_uri: str, tmp_path: Path) -> None:
    trained = train_classifier(ClassifierConfig(family="tfidf"), uri=mlflow_uri)
    metrics, result = evaluate(EvalConfig(split="seed"), uri=mlflow_uri)
    assert metrics["seed/macro_f1"] == trained.metrics["seed/macro_f1"]
    assert "wrong sentences" in result.report
    run = MlflowClient(mlflow_uri).get_run(result.run_id)
    assert run.data.tags[tracking.RUN_TYPE_TAG] == "evaluation"
    assert run.data.tags["accord.model_version"] == "1" and run.data.tags["accord.source_run_id"] == trained.run_id

    labelled = tmp_path / "mine.jsonl"
    labelled.write_text(
        json.dumps({"text": "Both sides agreed to waive visas for tourists.", "labels": ["people_to_people", "visas"]})
        + "\n{broken\n"
        + json.dumps({"text": "He thanked the host.", "labels": ["nonsense"]}) + "\n"
        + json.dumps({"text": "The navies will hold joint drills.", "labels": ["defence"]}) + "\n",
        encoding="utf-8",
    )
    metrics, out = evaluate(EvalConfig(model_uri=trained.model_uri, data_file=str(labelled)), uri=mlflow_uri)
    assert metrics["mine/n_sentences"] == 2
    assert [e.line for e in out.errors] == [2, 3]
    assert "malformed JSON" in str(out.errors[0]) and "unknown label(s) ['nonsense']" in str(out.errors[1])


def test_evaluate_cli_without_a_model_says_what_to_do(mlflow_uri: str) -> None:
    result = CliRunner().invoke(app, ["evaluate", "classifier", "--tracking-uri", mlflow_uri])
    assert result.exit_code == 1
    assert "Run `make run` or the training script first" in result.output


def test_a_labelled_file_with_no_usable_row_names_each_bad_line(tiny_store: str, tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps({"text": "x", "labels": ["trad"]}) + "\n" + json.dumps({"text": 1}) + "\n",
                   encoding="utf-8")
    result = CliRunner().invoke(app, ["evaluate", "classifier", "--data", str(bad), "--tracking-uri", tiny_store])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert f"{bad}:1: unknown label(s) ['trad']" in result.output and f"{bad}:2: needs a non-empty" in result.output
    assert f"{bad}: no usable labelled rows; nothing was evaluated" in result.output
