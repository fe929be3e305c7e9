"""Side-by-side summariser evaluation: one MLflow evaluation run per (system, dataset), one table."""

from __future__ import annotations

import pytest
from mlflow import MlflowClient

from accord import tracking
from accord.data.config import DataConfig
from accord.summarise.evaluate import EvalConfig, evaluate, render_markdown


@pytest.mark.usefixtures("xsum_file")  # XSum rows are in the data these build
def test_baselines_side_by_side(mlflow_uri: str) -> None:
    metrics, result = evaluate(EvalConfig(systems="lead1,textrank", datasets="reports-test,seed-ledes"), mlflow_uri)
    assert {(r["system"], r["dataset"]) for r in result["rows"]} == {
        (s, d) for s in ("lead1", "textrank") for d in ("reports-test", "seed-ledes")}
    lead = next(r for r in result["rows"] if r["system"] == "lead1" and r["dataset"] == "reports-test")
    assert lead["faithfulness"] == 1.0 and lead["rougeL_ci_low"] <= lead["rougeL"] <= lead["rougeL_ci_high"]
    assert lead["name_pair_faithfulness"] == 1.0  # an extract keeps every name as the source writes it
    assert 0.9 < result["references"]["reports-test"]["faithfulness"] <= 1.0
    client = MlflowClient(mlflow_uri)
    exp = client.get_experiment_by_name(tracking.SUMMARISER)
    runs = client.search_runs([exp.experiment_id], f"tags.`{tracking.RUN_TYPE_TAG}` = 'evaluation'")
    assert len(runs) == 4 and all("rougeL" in r.data.metrics for r in runs)
    table = render_markdown(result)
    assert "| reports-test | lead1 |" in table and "| seed-ledes | textrank |" in table
    assert metrics["lead1/reports-test/rougeL"] == lead["rougeL"]
    _, again = evaluate(EvalConfig(systems="lead1", datasets="reports-test"), mlflow_uri)
    assert again["rows"][0]["rougeL"] == lead["rougeL"]  # deterministic baselines


@pytest.mark.usefixtures("xsum_file")  # XSum rows are in the data these build
def test_real_validation_is_a_development_dataset_with_its_own_report(mlflow_uri: str, tmp_path) -> None:
    from accord.summarise.evaluate import write_reports

    _, result = evaluate(EvalConfig(systems="lead1", datasets="real-validation", report="dev_x"), mlflow_uri)
    row = result["rows"][0]
    assert row["dataset"] == "real-validation" and row["n"] > 10
    assert 0.0 <= row["fallback_rate"] <= 1.0
    path = write_reports(result, tmp_path, "dev_x")
    assert path.name == "dev_x.md" and "| real-validation | lead1 |" in path.read_text()
    assert "real-validation" not in EvalConfig().datasets  # never in the default (test) report


@pytest.mark.usefixtures("xsum_file")  # XSum rows are in the data these build
def test_the_second_real_test_set_is_read_on_request_only(mlflow_uri: str, tmp_path) -> None:
    _, result = evaluate(EvalConfig(systems="lead1", datasets="real-test-2"), mlflow_uri)
    assert result["rows"][0]["dataset"] == "real-test-2" and result["rows"][0]["n"] > 50
    assert "| real-test-2 | lead1 |" in render_markdown(result)
    assert "real-test-2" not in EvalConfig().datasets  # read once per champion, never by default
    nowhere = EvalConfig(systems="lead1", datasets="real-test-2", data=DataConfig(second_test_dir=str(tmp_path)))
    with pytest.raises(ValueError, match="no articles in"):
        evaluate(nowhere, mlflow_uri)

@pytest.mark.usefixtures("xsum_file")
def test_xsum_validation_is_the_held_out_part_of_rows_1_to_800() -> None:
    from accord.data.datasets import xsum_datasets
    from accord.summarise.evaluate import load_datasets

    data = load_datasets(DataConfig())
    splits = xsum_datasets(DataConfig())
    validation = {r["document"] for r in data["xsum-validation"]}
    assert len(validation) == DataConfig().xsum_validation_size
    assert not validation & {r["document"] for r in splits["train"].to_list()}  # never trained on
    assert not validation & {r["document"] for r in data["xsum-test"]}  # never the test rows 801-1000
    assert "xsum-validation" not in EvalConfig().datasets


def test_brief_fallback_is_decided_as_briefs_decide() -> None:
    """A summariser with ``doubts`` (the checks, then its own draws) is judged by them; one without, by the checks;
    the report shows the checks alone in brackets where they differ."""
    from accord.summarise.evaluate import _fallback, brief_fallback_rate, fallback_rate

    docs = ["Viet Nam and Korea agreed to expand trade.", "The ministers discussed defence cooperation."]
    preds = ["Viet Nam and Korea agreed to expand trade.", "The ministers discussed defence cooperation."]

    class Doubting:
        def doubts(self, documents: list[str], summaries: list[str]) -> list[list[str]]:
            assert (documents, summaries) == (docs, preds)
            return [[], ["unstable: the model's own 3 draws agree 0.20 with it (< 0.46)"]]

    assert fallback_rate(preds, docs) == 0.0  # sound copies: the checks pass both
    assert brief_fallback_rate(Doubting(), preds, docs) == 0.5
    assert brief_fallback_rate(object(), preds, docs) == 0.0
    assert _fallback({"fallback_rate": 0.5, "fallback_rate_checks": 0.0}) == "50 (0)"
    assert _fallback({"fallback_rate": 0.25, "fallback_rate_checks": 0.25}) == "25"
    assert _fallback({"fallback_rate": 0.25}) == "25"  # a row logged before the split
    with pytest.raises(ValueError, match="agreement_on"):
        EvalConfig(agreement_on="real-test,nope").validate()
    EvalConfig(agreement_on="").validate()  # empty: the checks alone everywhere


def test_the_default_is_compared_with_each_baseline_article_by_article() -> None:
    from accord.summarise.evaluate import paired_rows

    items = [{"id": str(k), "document": "", "summary": f"the ministers met in city {k} to discuss trade"}
             for k in range(6)]
    preds = {("default", "real-test"): [r["summary"] for r in items],  # a perfect summariser
             ("lead1", "real-test"): [f"the ministers met in city {k}" for k in range(6)],
             ("lead1", "xsum-test"): ["x"]}  # no default on this dataset: no comparison
    (row,) = paired_rows({"real-test": items, "xsum-test": items[:1]}, preds)
    assert (row["dataset"], row["baseline"]) == ("real-test", "lead1")
    assert row["diff"] > 0 and row["low"] > 0 and row["wins"] == 1.0
    lines = "\n".join(render_markdown({"rows": [], "paired": [row], "samples": [], "model_uri": "m",
                                        "xsum_limit": 0}).splitlines())
    assert "| real-test | lead1 | +" in lines and "| 100.0% |" in lines
