"""The review loop end to end on a small TF-IDF model: classify, export the least sure sentences, label, import,
retrain with them; and every kind of bad sheet named by FILE:LINE with nothing written."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import yaml
from typer.testing import CliRunner

from accord import paths
from accord.classify.config import ClassifierConfig
from accord.cli import app
from accord.data.datasets import DataConfig, classification_datasets
from accord.data.review import GOLD_COLUMNS, read_sheet, select_uncertain, sheet_rows, write_sheet
from tests.conftest import train_classifier

runner = CliRunner()


@pytest.fixture
def loop(tmp_path: Path, mlflow_uri: str) -> dict:
    """A champion TF-IDF classifier, the seeds classified by it, and a data config over a copy of the real corpus."""
    train_classifier(ClassifierConfig(family="tfidf", limit_train=600), uri=mlflow_uri)
    out = tmp_path / "seeds.jsonl"
    result = runner.invoke(app, ["classify", *map(str, sorted(paths.SEEDS_DIR.glob("*.txt"))), "--out", str(out),
                                 "--quiet", "--tracking-uri", mlflow_uri])
    assert result.exit_code == 0, result.output
    sentences = tmp_path / "real_sentences.jsonl"
    shutil.copy(paths.REAL_SENTENCES_FILE, sentences)
    data_yaml = tmp_path / "data.yaml"
    data_yaml.write_text(yaml.safe_dump({"real_sentences_path": str(sentences)}))
    return {"classified": out, "sentences": sentences, "data_yaml": data_yaml, "uri": mlflow_uri, "tmp": tmp_path}


def _fill(sheet_csv: Path, rows_to_labels: dict[int, str], out: Path) -> Path:
    with sheet_csv.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    for i, row in enumerate(rows):
        value = rows_to_labels.get(i, "trade")
        for col in GOLD_COLUMNS:
            row[col] = "1" if col == f"gold_{value}" else "0"
    with out.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return out


def test_export_label_import_retrain(loop: dict) -> None:
    sheet = loop["tmp"] / "sheet.csv"
    result = runner.invoke(app, ["review", "export", str(loop["classified"]), "--out", str(sheet), "--n", "5",
                                 "--tracking-uri", loop["uri"]])
    assert result.exit_code == 0, result.output
    jsonl = [json.loads(x) for x in sheet.with_suffix(".jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(jsonl) == 5 and all(r["gold_trade"] == "" for r in jsonl)
    filled = _fill(sheet, {0: "visas", 1: "other"}, loop["tmp"] / "filled.csv")
    before = loop["sentences"].read_text(encoding="utf-8").count("\n")
    result = runner.invoke(app, ["review", "import", str(filled), "--data-config", str(loop["data_yaml"])])
    assert result.exit_code == 0, result.output
    added = [json.loads(x) for x in loop["sentences"].read_text(encoding="utf-8").splitlines()[before:]]
    assert len(added) == 5 and {r["source"] for r in added} == {"review"}
    assert added[0]["labels"] == ["visas"] and added[1]["labels"] == []
    assert added[0]["provenance"]["sheet_row"].endswith("filled.csv:2")
    cfg = DataConfig(real_sentences_path=str(loop["sentences"]))
    train_ids = set(classification_datasets(cfg)["train"]["id"])
    assert {r["id"] for r in added} <= train_ids  # reviewed sentences train; validation and test stay fixed
    again = runner.invoke(app, ["review", "import", str(filled), "--data-config", str(loop["data_yaml"])])
    assert again.exit_code == 1 and "already in the corpus" in again.output
    retrained = train_classifier(ClassifierConfig(family="tfidf", limit_train=600, data=cfg), uri=loop["uri"])
    assert retrained.decision is not None and retrained.decision.reason  # the gate decided, and says why


def test_export_never_wipes_a_labelled_sheet_or_writes_an_empty_one(loop: dict) -> None:
    sheet = loop["tmp"] / "sheet.csv"
    export = ["review", "export", str(loop["classified"]), "--out", str(sheet), "--n", "3",
              "--tracking-uri", loop["uri"]]
    assert runner.invoke(app, export).exit_code == 0
    filled = _fill(sheet, {}, sheet).read_bytes()  # labelled in place: someone's work
    result = runner.invoke(app, export)
    assert result.exit_code == 2 and "already holds gold labels" in result.output
    assert sheet.read_bytes() == filled
    fresh = loop["tmp"] / "fresh.csv"
    fresh.write_text("keep\n", encoding="utf-8")
    result = runner.invoke(app, ["review", "export", str(loop["tmp"] / "missing.jsonl"), "--out", str(fresh),
                                 "--tracking-uri", loop["uri"]])
    assert result.exit_code == 1 and "missing.jsonl: no such file" in result.output
    assert "nothing was written" in result.output and fresh.read_text(encoding="utf-8") == "keep\n"
    assert not fresh.with_suffix(".jsonl").exists()


def test_bad_sheets_are_named_and_nothing_is_written(loop: dict) -> None:
    sheet = loop["tmp"] / "sheet.csv"
    runner.invoke(app, ["review", "export", str(loop["classified"]), "--out", str(sheet), "--n", "4",
                        "--tracking-uri", loop["uri"]])
    with sheet.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    for row in rows:
        row.update(dict.fromkeys(GOLD_COLUMNS, "0"))
    rows[0]["text"] += " (edited)"
    rows[1]["gold_visas"] = "maybe"
    rows[2].update(dict.fromkeys(GOLD_COLUMNS, ""))
    rows.append(dict(rows[3]))
    bad = loop["tmp"] / "bad.csv"
    with bad.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    before = loop["sentences"].read_bytes()
    result = runner.invoke(app, ["review", "import", str(bad), "--data-config", str(loop["data_yaml"])])
    assert result.exit_code == 1
    for line, what in ((2, "edited"), (3, "must be 1 or 0"), (4, "no gold label"), (6, "duplicate of line 5")):
        assert f"{bad}:{line}: " in result.output and what in result.output
    assert loop["sentences"].read_bytes() == before


def test_a_hostile_sentence_is_neutralised_in_the_sheet_and_imported_as_written(tmp_path: Path) -> None:
    hostile = '=HYPERLINK("http://x","trade")'
    rows = sheet_rows([{"article_id": "-a", "sentence_index": 0, "text": hostile, "labels": ["trade"],
                        "scores": [0.9, 0.1, 0.1, 0.1, 0.1]}])
    csv_path, _ = write_sheet(rows, tmp_path / "sheet.csv")
    with csv_path.open(encoding="utf-8", newline="") as fh:
        cells = next(csv.DictReader(fh))
    assert cells["text"] == "'" + hostile and cells["article_id"] == "'-a" and cells["id"] == "'-a:0"
    filled = _fill(csv_path, {0: "trade"}, tmp_path / "filled.csv")
    reviewed, errors = read_sheet(filled, set())
    assert errors == [] and reviewed[0].row["text"] == hostile and reviewed[0].row["article_id"] == "-a"


def test_disagreement_comes_before_small_margins() -> None:
    rows = [{"text": t, "labels": lab, "scores": s} for t, lab, s in (
        ("a", ["trade"], [0.9, 0.1, 0.1, 0.1, 0.1]), ("b", [], [0.52, 0.1, 0.1, 0.1, 0.1]),
        ("c", ["visas"], [0.1, 0.1, 0.1, 0.1, 0.95]), ("b", [], [0.52, 0.1, 0.1, 0.1, 0.1]))]
    second = {"a": ["trade"], "b": [], "c": ["defence"]}  # agrees on a and b, not on c
    picked = select_uncertain(rows, np.full(5, 0.5), 2, second=lambda texts: [second[t] for t in texts])
    assert [r["text"] for r in picked] == ["c", "b"] and picked[0]["disagreement"]
