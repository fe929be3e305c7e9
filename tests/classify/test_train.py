"""End-to-end training into a temporary MLflow store: runs, metrics, artifacts, registry, gate, fresh-process load."""

from __future__ import annotations

import json
from pathlib import Path

import mlflow
import numpy as np
import pytest
from mlflow import MlflowClient

from accord import tracking
from accord.classify.config import ClassifierConfig
from accord.classify.train import EVAL_SPLITS
from tests.conftest import make_config, run_fresh_python, train_classifier


def _artifacts(client: MlflowClient, run_id: str, path: str = "") -> set[str]:
    out: set[str] = set()
    for item in client.list_artifacts(run_id, path):
        out |= _artifacts(client, run_id, item.path) if item.is_dir else {item.path}
    return out


def test_tfidf_run_is_fully_tracked_and_registered(mlflow_uri: str) -> None:
    result = train_classifier(ClassifierConfig(family="tfidf"), uri=mlflow_uri, figures=True)
    client = MlflowClient(mlflow_uri)
    run = client.get_run(result.run_id)
    assert run.info.run_name == "tfidf-C10-w2-c25-s42"
    assert run.data.params["family"] == "tfidf" and run.data.params["data.seed"] == "42"
    assert run.data.tags[tracking.RUN_TYPE_TAG] == "training" and run.data.tags[tracking.DATASET_DIGEST_TAG]
    for split in EVAL_SPLITS:
        for metric in ("macro_f1", "micro_f1", "subset_accuracy", "hamming_loss"):
            assert f"{split}/{metric}" in run.data.metrics
        assert {f"{split}_labels/f1_visas", f"{split}_labels/precision_trade"} <= set(run.data.metrics)
    assert run.data.metrics["real_validation/macro_f1"] > 0.6
    # the gate's score: macro-F1 with thresholds tuned on the other half of the articles, from the registered
    # model's probabilities (as the gate rescores a champion), below the in-sample score here
    from accord.classify.train import gate_score, registered_probabilities
    from accord.data.datasets import DataConfig, classification_datasets, split_arrays

    split = classification_datasets(DataConfig())["real_validation"]
    probs = registered_probabilities(mlflow.pyfunc.load_model(result.model_uri), split_arrays(split)[1])
    gate = run.data.metrics[tracking.GATE_METRIC[tracking.CLASSIFIER]]
    assert gate == pytest.approx(gate_score(split, probs), abs=1e-9)
    assert gate < run.data.metrics["real_validation/macro_f1"]
    # the split metrics reuse the probabilities the thresholds were tuned on: the served model's, to the bit
    from accord.classify.metrics import apply_thresholds, multilabel_metrics
    from accord.labels import LABELS

    thresholds = mlflow.artifacts.load_dict(f"runs:/{result.run_id}/thresholds.json")
    served = multilabel_metrics(split_arrays(split)[2], apply_thresholds(probs, [thresholds[k] for k in LABELS]))
    assert run.data.metrics["real_validation/macro_f1"] == pytest.approx(served["macro_f1"], abs=1e-9)
    assert {"time/train_s", "time/inference_sentences_per_s"} <= set(run.data.metrics)
    assert {i.dataset.name for i in run.inputs.dataset_inputs} == {
        f"accord-sentences-{s}" for s in ("train", *EVAL_SPLITS)}
    files = _artifacts(client, result.run_id)
    for split in EVAL_SPLITS:
        assert {f"eval/{split}/classification_report.json", f"eval/{split}/classification_report.txt",
                f"eval/{split}/confusion_matrices.png", f"eval/{split}/pr_curves.png"} <= files
    assert {"config.yaml", "thresholds.json", "eval/real_test/misclassified.json"} <= files
    version = client.get_model_version_by_alias(tracking.CLASSIFIER, tracking.CHAMPION)
    assert str(version.version) == result.version == "1"
    assert version.tags["gate.decision"] == "promoted" and run.data.tags["gate.decision"] == "promoted"


def test_gate_keeps_champion_for_a_worse_model(mlflow_uri: str) -> None:
    good = train_classifier(ClassifierConfig(family="tfidf"), uri=mlflow_uri)
    worse = train_classifier(ClassifierConfig(family="tfidf", limit_train=40), uri=mlflow_uri)
    assert worse.metrics["real_validation/macro_f1"] < good.metrics["real_validation/macro_f1"]
    assert worse.version == "2" and worse.decision is not None and not worse.decision.promoted
    client = MlflowClient(mlflow_uri)
    assert str(client.get_model_version_by_alias(tracking.CLASSIFIER, tracking.CHAMPION).version) == "1"
    tags = client.get_model_version(tracking.CLASSIFIER, "2").tags
    assert tags["gate.decision"] == "rejected"
    gate = tracking.GATE_METRIC[tracking.CLASSIFIER]
    assert float(tags["gate.champion_score"]) == pytest.approx(good.metrics[gate], abs=1e-6)
    assert float(tags["gate.new_score"]) == pytest.approx(worse.metrics[gate], abs=1e-6)
    assert client.get_run(worse.run_id).data.tags["gate.champion_version"] == "1"


def test_same_seed_same_metrics_tfidf(mlflow_uri: str) -> None:
    a = train_classifier(ClassifierConfig(family="tfidf", limit_train=200), uri=mlflow_uri, register=False)
    b = train_classifier(ClassifierConfig(family="tfidf", limit_train=200), uri=mlflow_uri, register=False)
    keys = [k for k in a.metrics if not k.startswith("time/")]
    assert {k: a.metrics[k] for k in keys} == {k: b.metrics[k] for k in keys}
    assert a.version is None
    files = _artifacts(MlflowClient(mlflow_uri), a.run_id)  # figures off (the helper's default): reports only
    assert "eval/real_test/classification_report.json" in files and not any(f.endswith(".png") for f in files)


def test_tiny_minilm_logs_epochs_and_loads_in_a_fresh_process(mlflow_uri: str, tiny_encoder: Path) -> None:
    cfg = make_config(ClassifierConfig, family="minilm", base_model=str(tiny_encoder), epochs=2, batch_size=16,
                      max_length=32, limit_train=48)
    result = train_classifier(cfg, uri=mlflow_uri)
    client = MlflowClient(mlflow_uri)
    history = client.get_metric_history(result.run_id, "epoch/real_validation_macro_f1_at_0.5")
    assert [m.step for m in history] == [1, 2]
    assert [m.step for m in client.get_metric_history(result.run_id, "epoch/train_loss")] == [1, 2]
    script = (
        "import json, mlflow, pandas as pd\n"
        "m = mlflow.pyfunc.load_model('models:/accord-classifier@champion')\n"
        "out = m.predict(['Both sides agreed to waive visas.', 'He thanked his host.'])\n"
        "df = m.predict(pd.DataFrame({'text': ['Coast guards will patrol together.']}))\n"
        "print(json.dumps({'cols': list(out.columns), 'n': len(out), 'labels': out['labels'].map(list).tolist(),"
        " 'df': len(df)}))\n"
    )
    out = json.loads(run_fresh_python(script, mlflow_uri))
    assert out["cols"] == ["labels", "score_trade", "score_defence", "score_technology", "score_people_to_people",
                           "score_visas"]
    assert out["n"] == 2 and out["df"] == 1 and all(isinstance(x, list) for x in out["labels"])


def test_an_ensembles_members_log_their_epochs_apart(mlflow_uri: str, tiny_encoder: Path) -> None:
    """Two MiniLM members (as MiniLM beside Gemma: both of the minilm family) log their epochs under their own keys,
    each with its own best epoch, not interleaved under one key."""
    cfg = make_config(ClassifierConfig, family="ensemble", members="minilm,minilm", limit_train=48,
                      **{"minilm.base_model": str(tiny_encoder), "minilm.epochs": 2, "minilm.batch_size": 16,
                         "minilm.max_length": 32})
    result = train_classifier(cfg, uri=mlflow_uri, register=False)
    client = MlflowClient(mlflow_uri)
    for member in ("member0-minilm", "member1-minilm"):
        key = f"epoch/{member}/real_validation_macro_f1_at_0.5"
        assert [m.step for m in client.get_metric_history(result.run_id, key)] == [1, 2]
        assert result.metrics[f"epoch/{member}/best"] in (1.0, 2.0)
    assert client.get_metric_history(result.run_id, "epoch/real_validation_macro_f1_at_0.5") == []
    assert "epoch/best" not in result.metrics


BAD_INPUTS = [(None, "NoneType"), ([], "missing inputs"), ([1, 2], "int64"), (["fine", None], "item 1 is float")]


def test_pyfunc_rejects_bad_input_clearly(mlflow_uri: str) -> None:
    """Each bad input is refused with a message that says what is wrong (one model trained for all of them)."""
    train_classifier(ClassifierConfig(family="tfidf", limit_train=100), uri=mlflow_uri)
    model = mlflow.pyfunc.load_model(f"models:/{tracking.CLASSIFIER}@{tracking.CHAMPION}")
    for bad, message in BAD_INPUTS:
        with pytest.raises(Exception, match=message):
            model.predict(bad)


def test_cross_validation_logs_nested_folds(mlflow_uri: str) -> None:
    result = train_classifier(ClassifierConfig(family="tfidf", cv=3), uri=mlflow_uri, register=False)
    client = MlflowClient(mlflow_uri)
    exp = client.get_experiment_by_name(tracking.CLASSIFIER)
    children = client.search_runs([exp.experiment_id], f"tags.mlflow.parentRunId = '{result.run_id}'")
    assert len(children) == 3
    assert all("fold/macro_f1" in c.data.metrics for c in children)
    metrics = client.get_run(result.run_id).data.metrics
    assert 0 < metrics["cv/macro_f1_mean"] <= 1 and metrics["cv/macro_f1_std"] >= 0


def _refuse(*args: object, **kwargs: object) -> None:
    raise AssertionError("a model was loaded")


def test_gate_again_against_todays_champion(mlflow_uri: str) -> None:
    """A version gated against one champion is decided again against another, by the same rule; the earlier reason
    is kept; an unknown version is one error line."""
    from mlflow import MlflowClient
    from typer.testing import CliRunner

    from accord.classify.model import TfidfClassifier
    from accord.classify.train import regate
    from accord.cli import app
    from accord.labels import to_multi_hot
    from tests.conftest import TINY_LABELS, TINY_REPORTS, register

    texts = [t for aid in TINY_REPORTS for t in TINY_REPORTS[aid]]
    y = np.array([to_multi_hot(labels) for aid in TINY_LABELS for labels in TINY_LABELS[aid]])
    every_label = TfidfClassifier(ClassifierConfig(family="tfidf")).fit(texts, y, texts, y)
    every_label.thresholds = np.zeros(len(every_label.thresholds))
    # champion: every label on every sentence as shipped; the gate rescores its probabilities (a TF-IDF of the few
    # tiny reports) with thresholds of its own, and they are still weak
    weak = register(every_label, mlflow_uri)
    strong = train_classifier(ClassifierConfig(family="tfidf"), uri=mlflow_uri, register=True)
    assert strong.decision.promoted
    client = MlflowClient(mlflow_uri)
    client.set_registered_model_alias(tracking.CLASSIFIER, tracking.CHAMPION, weak)  # as if the order differed
    client.set_model_version_tag(tracking.CLASSIFIER, strong.version, "gate.reason", "decided before")
    decision = regate(strong.version, mlflow_uri)
    assert decision.promoted and decision.champion_version == weak and "100% of article resamples" in decision.reason
    assert str(client.get_model_version_by_alias(tracking.CLASSIFIER, tracking.CHAMPION).version) == strong.version
    tags = client.get_model_version(tracking.CLASSIFIER, strong.version).tags
    assert tags["gate.previous_reason"] == "decided before" and tags["gate.reason"] == decision.reason
    weak_again = regate(weak, mlflow_uri)
    assert not weak_again.promoted  # the weak one does not win it back
    assert "already the champion" in regate(strong.version, mlflow_uri).reason
    with pytest.MonkeyPatch.context() as mp:  # both versions' scores are cached now: the same decision, no model loaded
        mp.setattr(mlflow.pyfunc, "load_model", _refuse)
        mp.setattr(tracking, "load_model", _refuse)
        assert regate(weak, mlflow_uri) == weak_again
    result = CliRunner().invoke(app, ["train", "gate", weak, "--tracking-uri", mlflow_uri])
    assert result.exit_code == 0 and f"version {weak}: champion stays v{strong.version}" in result.output
    result = CliRunner().invoke(app, ["train", "gate", "99", "--tracking-uri", mlflow_uri])
    assert result.exit_code == 1 and "no version '99'" in result.output and "Traceback" not in result.output


def test_an_ensemble_takes_registered_versions_as_trained_and_refuses_ones_trained_on_other_data(
        mlflow_uri: str) -> None:
    """``models:/accord-classifier/1`` as a member joins as trained (its probabilities are the registered model's,
    it is not fitted again) and its training config is logged; a member trained with another training limit, folds
    over registered members, a version the store lacks and an alias (it can move) are refused before a run."""
    from accord.classify.families import load_classifier
    from accord.config import ConfigError

    first = train_classifier(make_config(ClassifierConfig, family="tfidf", limit_train=120, C=0.5), uri=mlflow_uri)
    texts = ["The two ministers discussed defence cooperation.", "They agreed to boost trade and investment."]
    v1 = load_classifier(tracking.registered_version("models:/accord-classifier/1").folder / "artifacts/classifier")
    members = {"family": "ensemble", "C": 4.0, "ensemble.members": "models:/accord-classifier/1,tfidf"}
    cfg = make_config(ClassifierConfig, limit_train=120, **members)
    result = train_classifier(cfg, uri=mlflow_uri, register=False)
    member, fitted = result.classifier.members
    assert member.fitted_from == "models:/accord-classifier/1" and not fitted.fitted_from
    assert np.array_equal(member.predict_proba(texts), v1.predict_proba(texts))
    assert not np.allclose(fitted.predict_proba(texts), v1.predict_proba(texts))  # C=4 was fitted, not taken
    params = MlflowClient(mlflow_uri).get_run(result.run_id).data.params
    assert params["ensemble.member_configs.models:/accord-classifier/1.tfidf.C"] == "0.5"
    assert first.run_id != result.run_id
    for bad, message in [({"limit_train": 60}, r"trained with limit_train=120, this run has 60"),
                         ({"limit_train": 120, "data.seed": 7}, r"models:/accord-classifier/1 was trained on "
                                                                r"dataset \w{12}, this run's is \w{12}"),
                         ({"limit_train": 120, "cv": 3}, r"cv=3: registered members \(models:/accord-classifier/1\) "
                                                         r"were trained on every fold")]:
        with pytest.raises(ConfigError, match=message):
            train_classifier(make_config(ClassifierConfig, **members, **bad), uri=mlflow_uri, register=False)
    with pytest.raises(ConfigError, match=r"models:/accord-classifier/7: not in the store"):
        train_classifier(make_config(ClassifierConfig, family="ensemble",
                                     **{"ensemble.members": "models:/accord-classifier/7,tfidf"}), uri=mlflow_uri)
    with pytest.raises(ValueError, match=r"registered versions \(models:/NAME/VERSION\)"):
        make_config(ClassifierConfig, family="ensemble", **{"ensemble.members": "models:/accord-classifier@champion"})
