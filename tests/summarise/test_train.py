"""Summariser training with tiny random models: a few steps of both families, register, resume, load fresh."""

from __future__ import annotations

import json
from pathlib import Path

import mlflow
import numpy as np
import pytest
from mlflow import MlflowClient

from accord import tracking
from accord.summarise.config import SummariserConfig
from accord.summarise.guard import soundness_problems
from accord.summarise.model import load_summariser
from accord.summarise.train import GATE_ROWS_FILE, batch_plan
from tests.conftest import make_config, run_fresh_python, train_summariser


def _tiny(base: Path, family: str, tmp_path: Path, **over: object) -> SummariserConfig:
    values = {"family": family, "base_model": str(base), "max_steps": 2, "eval_every": 1, "batch_size": 2,
              "val_limit": 2, "xsum_limit": 8, "max_source_tokens": 48, "max_target_tokens": 16,
              "max_new_tokens": 8, "checkpoint_dir": str(tmp_path / "ckpt"), "run_name": f"tiny-{family}"}
    return make_config(SummariserConfig, **(values | over))


def test_batch_plan_mixes_pools_deterministically() -> None:
    cfg = make_config(SummariserConfig, max_steps=40, batch_size=2, reports_share=0.3, real_share=0.4)
    pools = {"reports": list(range(6)), "real": list(range(8)), "xsum": list(range(10))}
    lengths = {"reports": [5, 1, 4, 2, 3, 6], "real": list(range(8)), "xsum": list(range(10))}
    plan = batch_plan(pools, lengths, cfg)
    assert plan == batch_plan(pools, lengths, cfg) and len(plan) == 40
    assert {name for name, _ in plan} == {"reports", "real", "xsum"}
    only_real = make_config(SummariserConfig, max_steps=10, batch_size=2, reports_share=0.0, real_share=1.0)
    assert {name for name, _ in batch_plan(pools, lengths, only_real)} == {"real"}
    assert all(len(idx) <= 2 for _, idx in plan)


@pytest.mark.usefixtures("xsum_file")  # XSum rows are in the data these build
def test_tiny_causal_trains_registers_resumes_and_loads_fresh(mlflow_uri: str, tiny_causal_lm: Path,
                                                              tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                                              ) -> None:
    first = train_summariser(_tiny(tiny_causal_lm, "causal", tmp_path), uri=mlflow_uri)
    assert first.steps == 2 and first.version == "1" and first.decision and first.decision.promoted
    client = MlflowClient(mlflow_uri)
    assert [m.step for m in client.get_metric_history(first.run_id, "step/real_validation_rougeL")] == [1, 2]
    assert [m.step for m in client.get_metric_history(first.run_id, "step/real_validation_loss")] == [1, 2]
    resumed = train_summariser(_tiny(tiny_causal_lm, "causal", tmp_path, max_steps=4, resume=True,
                                     validation_loss=False), uri=mlflow_uri)
    assert resumed.steps == 4
    assert [m.step for m in client.get_metric_history(resumed.run_id, "step/train_loss")] == [3, 4]
    assert [m.step for m in client.get_metric_history(resumed.run_id, "step/real_validation_rougeL")] == [3, 4]
    assert client.get_metric_history(resumed.run_id, "step/real_validation_loss") == []  # the loss pass skipped
    assert client.get_run(resumed.run_id).data.tags["accord.resumed_from_step"] == "2"
    artifacts = {a.path for a in client.list_artifacts(first.run_id)}
    assert {"config.yaml", "generation.json", "samples", "gate"} <= artifacts
    rows = mlflow.artifacts.load_dict(f"runs:/{first.run_id}/{GATE_ROWS_FILE}")["rougeL"]
    assert len(rows) == 2  # one ROUGE-L per validation article (val_limit), for paired resamples
    # v2 was gated against v1's recorded rows (same validation rows): the decision names the resamples
    assert "article resamples" in client.get_model_version(tracking.SUMMARISER, resumed.version).tags["gate.reason"]

    script = (
        "import json, mlflow\n"
        "m = mlflow.pyfunc.load_model('models:/accord-summariser@champion')\n"
        "out = m.predict(['The two ministers met in Hanoi and discussed trade.', 'Coast guards met.'])\n"
        "print(json.dumps([out['summary'].tolist(), [list(p) for p in out['problems']]]))\n"
    )
    summaries, problems = json.loads(run_fresh_python(script, mlflow_uri))
    assert len(summaries) == 2 and all(isinstance(s, str) for s in summaries)
    assert problems == [soundness_problems(s, d) for s, d in zip(  # the same checks as a brief's
        summaries, ["The two ministers met in Hanoi and discussed trade.", "Coast guards met."], strict=True)]

    # the gate's champion score: recorded where measured on the same validation rows, else measured again
    from accord.summarise.metrics import summary_report
    from accord.summarise.train import champion_rescorer, gate_data_digest

    assert tracking.GATE_DATA_TAG in client.get_model_version(tracking.SUMMARISER, "1").tags
    docs, refs = ["The two ministers met in Hanoi and discussed trade."], ["The ministers discussed trade."]
    rescore = champion_rescorer(docs, refs)
    expected = summary_report(first.summariser.summarise(docs), refs, docs)["rougeL"]
    assert rescore(f"models:/{tracking.SUMMARISER}/1") == pytest.approx(expected)
    client.set_model_version_tag(tracking.SUMMARISER, "1", tracking.GATE_DATA_TAG, gate_data_digest(docs, refs))
    client.set_model_version_tag(tracking.SUMMARISER, "1", "gate.new_score", "0.5")
    assert rescore(f"models:/{tracking.SUMMARISER}/1") == 0.5
    # paired: the champion's per-article scores are read from its run where recorded on the same rows
    client.log_dict(first.run_id, {"rougeL": [10.0]}, GATE_ROWS_FILE)
    with monkeypatch.context() as m:
        m.setattr(tracking, "load_model", lambda *a, **k: pytest.fail("decoded again"))
        paired = champion_rescorer(docs, refs, new_rows=np.array([20.0]))
        assert paired(f"models:/{tracking.SUMMARISER}/1") == (10.0, 1.0, (10.0, 10.0))  # +10 on the one article
        assert champion_rescorer(docs, refs, new_rows=np.array([5.0]))(f"models:/{tracking.SUMMARISER}/1") == (
            10.0, 0.0, (-5.0, -5.0))


@pytest.mark.usefixtures("xsum_file")  # XSum rows are in the data these build
def test_tiny_seq2seq_trains_and_round_trips(mlflow_uri: str, tiny_seq2seq: Path, tmp_path: Path) -> None:
    result = train_summariser(_tiny(tiny_seq2seq, "seq2seq", tmp_path), uri=mlflow_uri)
    assert result.version == "1" and result.metrics["time/steps"] == 2
    version = MlflowClient(mlflow_uri).get_model_version_by_alias(tracking.SUMMARISER, tracking.CHAMPION)
    assert str(version.version) == "1"
    docs = ["The two ministers met in Hanoi and discussed trade."]
    again = load_summariser(result.summariser.save(tmp_path / "saved"))
    assert again.summarise(docs) == result.summariser.summarise(docs)
