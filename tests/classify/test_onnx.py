"""ONNX Runtime backend: export + fusion match torch, the cache exports once, int8 runs, ``--runtime``/``--precision``.

A tiny randomly initialised BERT classifier (tests/conftest.py) stands in for the fine-tuned MiniLM: no downloads.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import mlflow
import numpy as np
import onnx
import pytest
from typer.testing import CliRunner

from accord import tracking
from accord.classify import onnx as onnx_classifier
from accord.classify import predictor as batch
from accord.classify.config import ClassifierConfig
from accord.classify.model import TransformerClassifier
from accord.classify.onnx import OnnxClassifier, cached_export
from accord.labels import LABELS
from tests.conftest import make_config

TEXTS = ["Ministers agreed to raise two-way trade to US$5 billion by 2030.", "Visas.",
         "The two navies will hold joint drills next year, the defence ministry said in a statement on Monday.",
         "Both sides pledged scholarships for five hundred students " * 6,  # past max_length: truncated
         "He thanked his host.", "A hotline between the coast guards was set up."]


@pytest.fixture(scope="module", params=["mean", "last", "cls"])
def tiny_clf(tiny_encoder: Path, request: pytest.FixtureRequest) -> TransformerClassifier:
    """A tiny MiniLM-family classifier: the tiny encoder with a seeded five-label head, on its mean-pooled tokens
    (the default), its last real token, or the [CLS] pooler (models saved before the mean-pooled head)."""
    import torch
    from transformers import AutoModel, AutoModelForSequenceClassification, AutoTokenizer

    from accord.classify.encoder import pooled_classifier

    torch.manual_seed(0)
    if request.param != "cls":
        model = pooled_classifier(AutoModel.from_pretrained(tiny_encoder), 5, pooling=request.param).eval()
    else:
        model = AutoModelForSequenceClassification.from_pretrained(tiny_encoder, num_labels=5).eval()
    cfg = make_config(ClassifierConfig, family="minilm", max_length=32, predict_batch_size=4, pooling=request.param)
    clf = TransformerClassifier(cfg, model, AutoTokenizer.from_pretrained(tiny_encoder))
    clf.thresholds = np.array([0.5, 0.45, 0.5, 0.55, 0.5])
    return clf


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("onnx-cache")


# the largest int8-vs-fp32 score difference allowed on the tiny random encoder: under 0.05 in most weight draws,
# 0.059 in one unseeded CI run and 0.074 with the seeded weights, so 0.05 failed by chance
INT8_TOLERANCE = 0.1


def op_types(path: Path) -> set[str]:
    return {n.op_type for n in onnx.load(str(path)).graph.node}


def test_fp32_export_is_fused_and_matches_torch(tiny_clf: TransformerClassifier, cache: Path) -> None:
    fast = OnnxClassifier.from_classifier(tiny_clf, "fp32", cache)
    assert {"EmbedLayerNormalization", "Attention", "SkipLayerNormalization"} <= op_types(fast.path)
    assert np.allclose(fast.predict_proba(TEXTS), tiny_clf.predict_proba(TEXTS), atol=1e-5)
    assert fast.predict_proba([]).shape == (0, 5)
    assert np.array_equal(fast.thresholds, tiny_clf.thresholds)


def test_export_is_cached_by_model_digest(tiny_clf: TransformerClassifier, cache: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    first = cached_export(tiny_clf.model, tiny_clf.tokenizer, "fp32", cache)
    monkeypatch.setattr(onnx_classifier, "export_fp32", lambda *a, **k: pytest.fail("exported twice"))
    assert cached_export(tiny_clf.model, tiny_clf.tokenizer, "fp32", cache) == first
    assert not [p for p in first.parent.iterdir() if p.name.startswith(".")]  # no temp files left behind
    changed = copy.deepcopy(tiny_clf.model)
    head = changed.head if tiny_clf.config.minilm.pooling != "cls" else changed.classifier
    head.bias.data += 1
    assert onnx_classifier.model_digest(changed) != onnx_classifier.model_digest(tiny_clf.model) == first.parent.name
    if tiny_clf.config.minilm.pooling != "cls":  # the same weights pooled another way are another export
        repooled = copy.deepcopy(tiny_clf.model)
        repooled.pooling = "last" if repooled.pooling == "mean" else "mean"
        assert onnx_classifier.model_digest(repooled) != onnx_classifier.model_digest(tiny_clf.model)


def test_int8_is_quantised_per_channel_and_close_to_fp32(tiny_clf: TransformerClassifier, cache: Path) -> None:
    fast = OnnxClassifier.from_classifier(tiny_clf, "int8", cache)
    graph = onnx.load(str(fast.path)).graph
    assert {"DynamicQuantizeLinear", "MatMulInteger", "QAttention"} <= {n.op_type for n in graph.node}
    weight_scales = [t for t in graph.initializer if t.name.endswith("_scale")]  # activations: scaled at run time
    pooler = tiny_clf.config.minilm.pooling == "cls"
    assert len(weight_scales) == 2 * 4 + 1 + pooler  # per layer: fused QKV, attention output, FFN in, out; head
    assert all(len(t.dims) == 1 and t.dims[0] > 1 for t in weight_scales)  # one scale per output channel
    probs = fast.predict_proba(TEXTS)
    assert probs.shape == (len(TEXTS), 5) and ((probs > 0) & (probs < 1)).all()
    # within INT8_TOLERANCE of fp32 (quantisation is coarse on a random 32-wide model; the real model's cost in
    # macro-F1 is measured in the classifier benchmark)
    assert np.abs(probs - tiny_clf.predict_proba(TEXTS)).max() < INT8_TOLERANCE
    assert fast.path.stat().st_size < cached_export(tiny_clf.model, tiny_clf.tokenizer, "fp32", cache).stat().st_size


def pyfunc_of(clf: TransformerClassifier) -> SimpleNamespace:
    """What a Predictor needs of a loaded pyfunc: ``unwrap_python_model().classifier``."""
    return SimpleNamespace(unwrap_python_model=lambda: SimpleNamespace(classifier=clf))


def test_predictor_runtimes_and_precisions(tiny_clf: TransformerClassifier, cache: Path) -> None:
    torch_probs, _ = batch.Predictor(pyfunc_of(tiny_clf), "torch", "fp32")(TEXTS)
    onnx_fp32 = batch.Predictor(pyfunc_of(tiny_clf), "onnx", "fp32", cache_dir=cache)
    probs, labels = onnx_fp32(TEXTS)
    assert onnx_fp32.backend == "minilm onnx fp32"
    assert np.allclose(probs, torch_probs, atol=1e-5)
    for p, lab in zip(probs, labels, strict=True):  # labels follow the classifier's own thresholds
        assert set(lab) == {n for n, x, t in zip(LABELS, p, tiny_clf.thresholds, strict=True) if x >= t}
    torch_int8 = batch.Predictor(pyfunc_of(copy.deepcopy(tiny_clf)), "torch", "int8")
    assert torch_int8.backend == "minilm torch int8" and torch_int8(TEXTS)[0].shape == (len(TEXTS), 5)
    assert batch.Predictor(pyfunc_of(tiny_clf), "onnx", "int8", cache_dir=cache)(TEXTS)[0].shape == (len(TEXTS), 5)
    for runtime in ("torch", "onnx"):  # bf16 has no ONNX path: asked of ONNX, it runs in torch
        bf16 = batch.Predictor(pyfunc_of(copy.deepcopy(tiny_clf)), runtime, "bf16", cache_dir=cache)
        assert bf16.backend == "minilm torch bf16"
        assert str(next(bf16.classifier.model.parameters()).dtype) == "torch.bfloat16"
        probs16 = bf16(TEXTS)[0]
        assert probs16.dtype == np.float64 and 0 < np.abs(probs16 - torch_probs).max() < 0.05
    with pytest.raises(ValueError, match="runtime"):
        batch.Predictor(pyfunc_of(tiny_clf), "tensorflow")
    with pytest.raises(ValueError, match="precision"):
        batch.Predictor(pyfunc_of(tiny_clf), "onnx", "int4")


def test_cli_defaults_are_the_engine_defaults() -> None:
    import inspect

    from accord.cli import classify_cmd

    params = inspect.signature(classify_cmd).parameters
    assert params["runtime"].default == batch.DEFAULT_RUNTIME
    assert params["precision"].default == batch.DEFAULT_PRECISION


def champion_store(clf: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A temporary store (and ONNX cache) whose ``accord-classifier@champion`` is ``clf``; its tracking URI."""
    from accord.pyfunc import log_classifier

    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    monkeypatch.setenv(onnx_classifier.CACHE_ENV, str(tmp_path / "onnx"))
    tracking.setup(tracking.CLASSIFIER, uri)
    with mlflow.start_run(run_name=f"tiny-{clf.family}"):
        info = log_classifier(clf, tracking.CLASSIFIER, TEXTS[:2])
    mlflow.MlflowClient().set_registered_model_alias(tracking.CLASSIFIER, tracking.CHAMPION,
                                                     str(info.registered_model_version))
    return uri


def test_classify_cli_on_every_runtime(tiny_clf: TransformerClassifier, tmp_path: Path,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    from accord.cli import app

    uri = champion_store(tiny_clf, tmp_path, monkeypatch)
    src = tmp_path / "in.jsonl"
    src.write_text("".join(json.dumps({"article_id": "a", "text": t}) + "\n" for t in TEXTS), encoding="utf-8")
    scores = {}
    for runtime, precision in [("torch", "fp32"), ("onnx", "fp32"), ("onnx", "int8"), ("default", "default")]:
        out = tmp_path / f"{runtime}-{precision}.jsonl"
        options = [] if runtime == "default" else ["--runtime", runtime, "--precision", precision]
        result = CliRunner().invoke(app, ["classify", str(src), "--unit", "sentence", "--out", str(out), *options,
                                          "--tracking-uri", uri, "--quiet"])
        assert result.exit_code == 0, result.output
        rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
        assert [r["text"] for r in rows] == [" ".join(t.split()) for t in TEXTS]
        scores[runtime, precision] = np.array([[r["scores"][n] for n in LABELS] for r in rows])
    assert np.allclose(scores["onnx", "fp32"], scores["torch", "fp32"], atol=1e-5)
    assert np.abs(scores["onnx", "int8"] - scores["torch", "fp32"]).max() < INT8_TOLERANCE
    default = scores["default", "default"]
    assert np.array_equal(default, scores[batch.DEFAULT_RUNTIME, batch.DEFAULT_PRECISION])
    assert len(list((tmp_path / "onnx").iterdir())) == 1  # one model, one cache folder (fp32 + int8 files)
    bad = CliRunner().invoke(app, ["classify", str(src), "--runtime", "tensorflow", "--tracking-uri", uri])
    assert bad.exit_code == 2 and "--runtime must be one of" in bad.output


def test_an_ensemble_of_minilms_serves_on_onnx(tiny_clf: TransformerClassifier, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """A seed ensemble (two MiniLM members) is served on ONNX Runtime, member by member, with the scores of the
    torch ensemble; the second run starts from the cached serving spec (no torch model loaded)."""
    import torch

    from accord.batch import models
    from accord.classify.ensemble import EnsembleClassifier
    from accord.cli import app

    other = copy.deepcopy(tiny_clf)
    with torch.no_grad():
        for p in other.model.parameters():
            p.add_(torch.randn_like(p) * 0.05)
    cfg = make_config(ClassifierConfig, family="ensemble", members="minilm,minilm", **{"minilm.max_length": 32})
    ensemble = EnsembleClassifier(cfg, [tiny_clf, other])
    ensemble.thresholds = np.array([0.5, 0.5, 0.45, 0.5, 0.55])
    uri = champion_store(ensemble, tmp_path, monkeypatch)
    expected = ensemble.predict_proba(TEXTS)
    for _ in range(2):  # exported and cached, then rebuilt from the serving spec
        predictor = models.load_predictor(tracking.CLASSIFIER_URI, uri, "onnx", "fp32")
        assert predictor.backend == "ensemble of 2 minilm onnx fp32" and predictor.model is None
        probs, labels = predictor(TEXTS)
        assert np.allclose(probs, expected, atol=1e-5)
        assert labels == [[n for n, x, t in zip(LABELS, p, ensemble.thresholds, strict=True) if x >= t]
                          for p in probs]
    assert len(list((tmp_path / "onnx").iterdir())) == 2  # one export per member
    src = tmp_path / "in.jsonl"
    src.write_text("".join(json.dumps({"article_id": "a", "text": t}) + "\n" for t in TEXTS), encoding="utf-8")
    result = CliRunner().invoke(app, ["classify", str(src), "--unit", "sentence", "--out", str(tmp_path / "o.jsonl"),
                                      "--tracking-uri", uri, "--quiet"])
    assert result.exit_code == 0, result.output


def test_a_classifier_on_a_decoder_base_serves_in_torch(tiny_causal_lm: Path, cache: Path) -> None:
    """ONNX Runtime's BERT fusion is for BERT-type encoders: a classifier on a decoder base (gemma.yaml's kind)
    asked for ``onnx`` runs in torch, with torch's scores, and says so in its backend."""
    import torch
    from transformers import AutoModel, AutoTokenizer

    from accord.classify.encoder import pooled_classifier

    torch.manual_seed(0)
    model = pooled_classifier(AutoModel.from_pretrained(tiny_causal_lm), 5).eval()
    cfg = make_config(ClassifierConfig, family="minilm", max_length=32, predict_batch_size=4)
    clf = TransformerClassifier(cfg, model, AutoTokenizer.from_pretrained(tiny_causal_lm))
    assert not onnx_classifier.onnx_servable(clf)
    expected = clf.predict_proba(TEXTS)
    predictor = batch.Predictor(pyfunc_of(clf), "onnx", "fp32", cache_dir=cache)
    assert predictor.backend == "minilm torch fp32"
    assert np.allclose(predictor(TEXTS)[0], expected)
