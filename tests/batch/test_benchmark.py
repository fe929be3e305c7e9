"""The classify benchmark at a tiny size: the naive rate gives the model's scores; whole processes are timed."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from accord import tracking
from accord.batch import benchmark
from accord.labels import LABELS
from accord.system import machine_info
from tests.conftest import register


def test_whole_processes_are_timed_on_the_same_sentences(tiny_minilm: object, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    monkeypatch.setenv("ACCORD_MODEL_CACHE", str(tmp_path / "cache"))
    register(tiny_minilm, uri)
    got = benchmark.whole_process(tracking.CLASSIFIER_URI, uri, 12, tmp_path)
    assert got["sentences"] == 12 and got["accord_s"] > 0 and got["naive_s"] > 0
    assert got["speedup"] == pytest.approx(got["naive_s"] / got["accord_s"])
    naive_rows = [json.loads(line) for line in (tmp_path / "whole-out.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(naive_rows) == 12 and all(set(r["labels"]) <= set(LABELS) for r in naive_rows)
    assert got["speedup_int8"] == pytest.approx(got["naive_s"] / got["accord_int8_s"])  # side by side, same run
    text = benchmark.render_markdown(_result_with(got))
    assert f"**{got['speedup']:.1f}×**" in text and "12 sentences" in text
    assert f"with `--precision int8` {got['accord_int8_s']:.1f} s: **{got['speedup_int8']:.1f}×**" in text


def test_the_naive_rate_gives_the_models_scores(tiny_minilm: object, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    register(tiny_minilm, uri)
    texts = ["Ministers agreed to raise trade.", "Visas.", "The two navies will hold drills."]
    rate, scores = benchmark.naive_rate(tracking.load_model(tracking.CLASSIFIER_URI, uri), texts)
    assert rate > 0 and np.allclose(scores, tiny_minilm.predict_proba(texts), atol=1e-5)


def _result_with(whole: dict) -> dict:
    row = {"runtime": "onnx", "precision": "int8", "sentences_per_s": 2.0, "speedup_vs_naive": 2.0,
           "validation_macro_f1": 0.5, "f1_loss": 0.0, "within_rule": True, "default": True, "prepare_s": 1.0,
           "max_abs_score_diff_vs_torch_fp32": 0.0}
    machine = machine_info() | {"onnxruntime": "o", "load_average_at_start": [0.0]}
    return {"machine": machine, "load_average_at_end": [0.0],
            "model_uri": "m", "speed_sentences": 4, "rounds": 1, "naive": {"sentences_per_s": 1.0},
            "naive_vs_torch_fp32_max_abs_score_diff": 0.0, "fastest_within_rule": "onnx int8",
            "default_backend": "onnx int8", "backends": {"onnx int8": row}, "peak_rss": [], "whole_process": whole}


def test_a_failing_whole_process_is_one_line_naming_it(tmp_path: Path) -> None:
    uri = f"sqlite:///{tmp_path / 'empty.db'}"
    with pytest.raises(RuntimeError, match=r"^the accord process exited 1: .*error: .*") as got:
        benchmark.whole_process(tracking.CLASSIFIER_URI, uri, 3, tmp_path)
    assert "\n" not in str(got.value)


def _benchmarked(classifier: object, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[dict, dict]:
    """The benchmark's predictors and rows for ``classifier``, registered as the champion of a fresh store."""
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    monkeypatch.setattr(benchmark, "validation_macro_f1", lambda pred: 0.5)  # the real split is not what is tested
    register(classifier, uri)
    return benchmark._predictors(tracking.CLASSIFIER_URI, uri, benchmark.BACKENDS, tmp_path)


def _ensemble(*members: object) -> object:
    from accord.classify.config import ClassifierConfig
    from accord.classify.ensemble import EnsembleClassifier
    from tests.conftest import make_config

    cfg = make_config(ClassifierConfig, family="ensemble", members="minilm,minilm", **{"minilm.max_length": 32})
    ensemble = EnsembleClassifier(cfg, list(members))
    ensemble.thresholds = np.array([0.5, 0.5, 0.45, 0.5, 0.55])
    return ensemble


def test_an_ensemble_of_minilms_is_benchmarked_on_every_backend(
        tiny_minilm: object, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The seed ensemble has every backend of one MiniLM: in torch its members are quantised or cast as one is."""
    import copy

    predictors, rows = _benchmarked(_ensemble(tiny_minilm, copy.deepcopy(tiny_minilm)), tmp_path, monkeypatch)
    assert sorted(rows) == ["onnx fp32", "onnx int8", "torch bf16", "torch fp32", "torch int8"]
    assert predictors["onnx int8"].backend == "ensemble of 2 minilm onnx int8"
    assert predictors["torch bf16"].backend == "ensemble of 2 minilm torch bf16"
    assert benchmark._model_kind(predictors) == "ensemble of 2 fine-tuned MiniLMs"


def _decoder_classifier(tiny_causal_lm: Path) -> object:
    """A MiniLM-family classifier on a tiny decoder body (gemma.yaml's kind)."""
    from transformers import AutoModel, AutoTokenizer

    from accord.classify.config import ClassifierConfig
    from accord.classify.encoder import pooled_classifier
    from accord.classify.model import TransformerClassifier
    from tests.conftest import make_config

    model = pooled_classifier(AutoModel.from_pretrained(tiny_causal_lm), len(LABELS)).eval()
    cfg = make_config(ClassifierConfig, family="minilm", max_length=32, predict_batch_size=8)
    return TransformerClassifier(cfg, model, AutoTokenizer.from_pretrained(tiny_causal_lm))


def test_a_classifier_on_a_decoder_base_is_benchmarked_in_torch_only(
        tiny_causal_lm: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """ONNX Runtime does not serve a decoder base (gemma.yaml's kind): the report has no ONNX rows that would be
    torch measured twice, and names the base's type instead of MiniLM."""
    predictors, rows = _benchmarked(_decoder_classifier(tiny_causal_lm), tmp_path, monkeypatch)
    assert sorted(rows) == ["torch bf16", "torch fp32", "torch int8"]
    assert benchmark._model_kind(predictors) == "fine-tuned llama encoder"


def test_an_ensemble_with_a_decoder_member_is_benchmarked_in_torch_only(
        tiny_minilm: object, tiny_causal_lm: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """minilm_gemma.yaml's kind: a MiniLM beside a decoder-based member serves in torch; the report names both
    encoder types."""
    predictors, rows = _benchmarked(_ensemble(tiny_minilm, _decoder_classifier(tiny_causal_lm)), tmp_path,
                                    monkeypatch)
    assert sorted(rows) == ["torch bf16", "torch fp32", "torch int8"]
    assert benchmark._model_kind(predictors) == "ensemble of 2 fine-tuned encoders (bert, llama)"
