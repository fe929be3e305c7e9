"""Distillation: a teacher file is read strictly, mixed into the gold where it scored a sentence, and a run says how
much of its training set the teacher covered."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from mlflow import MlflowClient

from accord.classify.config import ClassifierConfig, base_problems
from accord.classify.distill import mixed_targets, read_teacher, unlabelled_examples
from accord.data.datasets import classification_datasets
from accord.io import InputError
from accord.labels import LABELS
from tests.conftest import make_config, train_classifier


def _probs(**values: float) -> dict[str, float]:
    return {label: values.get(label, 0.0) for label in LABELS}


def test_targets_mix_gold_and_teacher_only_where_the_teacher_scored_the_sentence() -> None:
    teacher = {"a": np.array([0.8, 0.1, 0.0, 0.0, 0.0])}
    y = np.array([[1, 0, 0, 0, 0], [0, 1, 0, 0, 0]])
    targets, coverage = mixed_targets(["a", "b"], y, teacher, 0.25)
    assert np.allclose(targets, [[0.95, 0.025, 0, 0, 0], [0, 1, 0, 0, 0]]) and coverage == 0.5
    assert np.array_equal(mixed_targets(["a"], y[:1], teacher, 0.0)[0], y[:1])  # weight 0: the gold


@pytest.mark.parametrize(("row", "message"), [
    ({"text": "x", "probs": {"trade": 0.5}}, "expected {text, probs"),
    ({"probs": _probs()}, "expected {text, probs"),
    ({"text": "x", "probs": _probs(trade=1.5)}, "probabilities must be numbers in \\[0, 1\\]"),
    ({"text": "x", "probs": _probs(trade="high")}, "probabilities must be numbers in \\[0, 1\\]"),
])
def test_a_bad_teacher_row_is_named_by_file_and_line(tmp_path: Path, row: dict, message: str) -> None:
    path = tmp_path / "teacher.jsonl"
    path.write_text(json.dumps({"text": "fine", "probs": _probs(defence=0.9)}) + "\n" + json.dumps(row) + "\n",
                    encoding="utf-8")
    with pytest.raises(InputError, match=rf"teacher\.jsonl:2: {message}"):
        read_teacher(path)
    assert base_problems(make_config(ClassifierConfig, family="minilm",
                                     **{"minilm.teacher": str(tmp_path / "none.jsonl")})) == [
        f"minilm.teacher: no such file {tmp_path / 'none.jsonl'}"]


def test_a_minilm_trains_on_a_teacher_and_logs_its_coverage(mlflow_uri: str, tiny_encoder: Path,
                                                           tmp_path: Path) -> None:
    """Half the training sentences scored, in two files: the run trains on the mixed targets and logs coverage
    0.5 (a sentence in either file counts)."""
    cfg = make_config(ClassifierConfig, family="minilm", limit_train=40,
                      **{"minilm.base_model": str(tiny_encoder), "minilm.max_steps": 2, "minilm.max_length": 32})
    texts = classification_datasets(cfg.data)["train"]["text"][:20]
    files = [tmp_path / "teacher.jsonl", tmp_path / "teacher_more.jsonl"]
    for path, part in zip(files, (texts[:12], texts[12:]), strict=True):
        path.write_text("".join(json.dumps({"text": t, "probs": _probs(visas=1.0)}) + "\n" for t in part),
                        encoding="utf-8")
    teacher = ",".join(map(str, files))
    cfg = make_config(ClassifierConfig, family="minilm", limit_train=40,
                      **{"minilm.base_model": str(tiny_encoder), "minilm.max_steps": 2, "minilm.max_length": 32,
                         "minilm.teacher": teacher, "minilm.teacher_weight": 1.0})
    result = train_classifier(cfg, uri=mlflow_uri, register=False)
    assert result.metrics["train/teacher_coverage"] == 0.5 and "train/unlabelled_sentences" not in result.metrics
    assert MlflowClient(mlflow_uri).get_run(result.run_id).data.params["minilm.teacher"] == teacher


def test_unlabelled_sentences_join_training_with_the_teachers_targets_and_validation_ones_are_refused(
        tmp_path: Path) -> None:
    """Sentences without gold are added with the teacher's probabilities as targets (those already in training are
    not added twice); one that is a validation sentence would leak into the thresholds and the gate: refused."""
    teacher = {"new one": np.array([0.9, 0, 0, 0, 0.2]), "in train": np.array([0, 1.0, 0, 0, 0])}
    texts, targets = unlabelled_examples(tmp_path / "u.jsonl", teacher, {"in train"}, {"a validation sentence"})
    assert texts == ["new one"] and np.allclose(targets, [[0.9, 0, 0, 0, 0.2]])
    with pytest.raises(InputError, match=r"u\.jsonl: 1 sentence\(s\) of the validation split"):
        unlabelled_examples(tmp_path / "u.jsonl", teacher, set(), {"new one"})


def test_a_minilm_trains_on_unlabelled_sentences_and_logs_how_many(mlflow_uri: str, tiny_encoder: Path,
                                                                  tmp_path: Path) -> None:
    unlabelled = tmp_path / "unlabelled.jsonl"
    unlabelled.write_text("".join(json.dumps({"text": f"The ministers discussed item {k}.", "probs": _probs(
        trade=0.8)}) + "\n" for k in range(6)), encoding="utf-8")
    second = tmp_path / "second.jsonl"
    second.write_text("".join(json.dumps({"text": f"The ministers discussed item {k}.", "probs": _probs(
        visas=0.7)}) + "\n" for k in range(4, 8)), encoding="utf-8")
    cfg = make_config(ClassifierConfig, family="minilm", limit_train=40,
                      **{"minilm.base_model": str(tiny_encoder), "minilm.max_steps": 2, "minilm.max_length": 32,
                         "minilm.teacher_unlabelled": f"{unlabelled},{second}"})
    result = train_classifier(cfg, uri=mlflow_uri, register=False)
    assert result.metrics["train/unlabelled_sentences"] == 8.0  # two files; a sentence in both is added once
