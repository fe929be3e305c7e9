"""``accord classify --engine spark`` in ``local[2]``: same labels as the local engine, bad records named."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from accord import paths
from accord.classify.config import ClassifierConfig
from accord.cli import app
from accord.io import errors_path
from tests.conftest import train_classifier

pytest.importorskip("pyspark")
runner = CliRunner()


def test_spark_engine_matches_local_engine(mlflow_uri: str, tmp_path: Path) -> None:
    train_classifier(ClassifierConfig(family="tfidf"), uri=mlflow_uri)
    corpus = tmp_path / "corpus.jsonl"
    reports = paths.REPORTS_FILE.read_text(encoding="utf-8").splitlines()[:6]
    rows = [{"id": r["article_id"], "title": r.get("title"), "text": r["text"]} for r in map(json.loads, reports)]
    corpus.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows) + '{"id": "bad", "text": \n',
                      encoding="utf-8")
    inputs = [str(corpus), str(paths.SEEDS_DIR)]
    local, spark = tmp_path / "local.parquet", tmp_path / "spark.parquet"
    common = ["--tracking-uri", mlflow_uri, "--quiet"]
    result = runner.invoke(app, ["classify", *inputs, "--out", str(local), *common])
    assert result.exit_code == 1 and f"{corpus}:7: malformed JSON" in result.stderr
    result = runner.invoke(app, ["classify", *inputs, "--out", str(spark), "--engine", "spark", "--master",
                                 "local[2]", *common])
    assert result.exit_code == 1, result.stderr  # the malformed record is named, the rest is classified
    assert "malformed JSON record" in errors_path(spark).read_text(encoding="utf-8")
    assert spark.is_dir() and not list(tmp_path.glob(".spark.parquet*"))  # temp folder renamed into place
    a = pd.read_parquet(local).set_index(["article_id", "sentence_index"]).sort_index()
    b = pd.read_parquet(spark).set_index(["article_id", "sentence_index"]).sort_index()
    assert len(a) == len(b) > 50 and list(a.index) == list(b.index)
    assert (a["text"] == b["text"]).all()
    assert [list(x) for x in a["labels"]] == [list(x) for x in b["labels"]]
    assert a["scores"].map(lambda s: s["trade"]).tolist() == pytest.approx(
        b["scores"].map(lambda s: s["trade"]).tolist(), abs=1e-5)


def test_spark_engine_usage_errors(tmp_path: Path) -> None:
    base = ["classify", str(paths.SEEDS_DIR), "--engine", "spark"]
    assert runner.invoke(app, base).exit_code == 2  # needs --out
    assert runner.invoke(app, [*base, "--out", str(tmp_path / "o.csv")]).exit_code == 2
    assert runner.invoke(app, [*base, "--out", str(tmp_path / "o"), "--report", str(tmp_path / "r.html")]
                         ).exit_code == 2  # the HTML report is a local-engine feature
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep", encoding="utf-8")
    result = runner.invoke(app, [*base, "--out", str(tmp_path / "o"), "--briefs", str(mine)])
    assert result.exit_code == 2 and f"--briefs {mine}" in result.stderr  # a folder no Accord run wrote: refused
    assert (mine / "notes.txt").read_text(encoding="utf-8") == "keep"
    result = runner.invoke(app, [*base, "--out", str(tmp_path / "o"), "--briefs", str(tmp_path / "b"),
                                 "--summaries", "some"])
    assert result.exit_code == 2 and "--summaries must be one of" in result.stderr


def test_spark_briefs_match_the_local_engine(tiny_store: str, tmp_path: Path) -> None:
    """Briefs built in the executors (counts, shares, top sentences, the summariser's summary) equal the local ones."""
    inputs = [str(paths.SEEDS_DIR)]
    local_briefs, spark_briefs = tmp_path / "briefs.jsonl", tmp_path / "briefs-spark"
    common = ["--tracking-uri", tiny_store, "--quiet", "--summaries", "all"]
    result = runner.invoke(app, ["classify", *inputs, "--out", str(tmp_path / "rows.jsonl"), "--briefs",
                                 str(local_briefs), *common])
    assert result.exit_code == 0, result.stderr
    result = runner.invoke(app, ["classify", *inputs, "--out", str(tmp_path / "rows-spark"), "--briefs",
                                 str(spark_briefs), "--engine", "spark", "--master", "local[2]", *common])
    assert result.exit_code == 0, result.stderr
    assert spark_briefs.is_dir() and (spark_briefs / ".accord-output").exists()
    local = {b["article_id"]: b for b in map(json.loads, local_briefs.read_text(encoding="utf-8").splitlines())}
    spark = {b["article_id"]: b for f in sorted(spark_briefs.glob("part-*"))
             for b in map(json.loads, f.read_text(encoding="utf-8").splitlines())}
    assert set(local) == set(spark) == {p.stem for p in paths.SEEDS_DIR.glob("*.txt")}
    for article_id, brief in local.items():
        other = spark[article_id]
        assert other["counts"] == brief["counts"] and other["categories"] == brief["categories"]
        assert other["summary"] == brief["summary"] and other["summary"]  # lead-1, through the model cache
        assert other["category_summaries"] == brief["category_summaries"]
        tops = [[(t["sentence_index"], t["text"]) for t in v] for v in brief["top_sentences"].values()]
        assert [[(t["sentence_index"], t["text"]) for t in v] for v in other["top_sentences"].values()] == tops
    usage = runner.invoke(app, ["classify", *inputs, "--out", str(tmp_path / "o"), "--briefs", str(tmp_path / "o"),
                                "--engine", "spark", "--tracking-uri", tiny_store])
    assert usage.exit_code == 2 and "--briefs and --out are the same folder" in usage.stderr


def test_spark_stops_on_a_registered_summariser_that_cannot_load(tiny_store: str, tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """As on the local engine: briefs asked with summaries and a registered summariser that cannot load is an error
    on the driver, before Spark starts; nothing is written (no brief quietly without its summary)."""
    from accord import tracking
    from accord.batch import models

    def broken(*_: object, **__: object) -> None:
        raise tracking.ModelBroken("cannot load models:/accord-summariser@champion: $ACCORD_DECODER is not JSON")

    monkeypatch.setattr(models, "load_summariser", broken)
    out, briefs = tmp_path / "rows-spark", tmp_path / "briefs-spark"
    result = runner.invoke(app, ["classify", str(paths.SEEDS_DIR), "--out", str(out), "--briefs", str(briefs),
                                 "--engine", "spark", "--tracking-uri", tiny_store, "--quiet"])
    assert result.exit_code == 1, result.stderr
    assert "ACCORD_DECODER" in result.stderr and "--summaries none" in result.stderr
    assert "Traceback" not in result.stderr and not out.exists() and not briefs.exists()
