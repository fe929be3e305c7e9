"""What a batch command tells the person waiting: ``--verbose`` start-up and phase times, the progress bar over
articles with an ETA, and ``--summaries none|article|all`` choosing the cost of briefs."""

from __future__ import annotations

import inspect
import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from accord import paths
from accord.batch import briefs as briefs_module
from accord.batch import cache, progress
from accord.batch import classify as batch_classify
from accord.batch.inputs import STDIN
from accord.labels import LABELS
from accord.system import process_age

SEED = str(sorted(paths.SEEDS_DIR.glob("*.txt"))[0])
ARTICLES = ["TOKYO — Ministers agreed to raise two-way trade. Trade in farm goods should double. Visa rules will be "
            "eased.", "The navies will hold joint drills. Coast guards will patrol together.", "He thanked his host."]


def cli(*args: str):
    from accord.cli import app

    return CliRunner().invoke(app, list(args))


@pytest.fixture
def news(tmp_path: Path) -> Path:
    feed = tmp_path / "news.jsonl"
    feed.write_text("".join(json.dumps({"id": f"a{i}", "text": t}) + "\n" for i, t in enumerate(ARTICLES)),
                    encoding="utf-8")
    return feed


def test_verbose_reports_start_up_and_phases(tiny_store: str, news: Path, tmp_path: Path) -> None:
    result = cli("classify", str(news), "--out", str(tmp_path / "o.jsonl"), "--briefs", str(tmp_path / "b.jsonl"),
                 "--tracking-uri", tiny_store, "--quiet", "--verbose")
    assert result.exit_code == 0, result.stderr
    lines = result.stderr.splitlines()
    assert lines[0].startswith("start-up: ") and "s to the first article (interpreter and imports" in lines[0]
    assert any("accord-classifier@champion -> version 1" in x for x in lines)
    assert any("accord-summariser@champion -> version 1" in x for x in lines)
    phases = next(x for x in lines if x.startswith("phases: "))
    for name in ("resolve model", "load classifier", "load summariser", "read and split", "classify", "write",
                 "briefs", "summaries"):
        assert f"{name} " in phases
    summarised = cli("summarise", str(news), "--tracking-uri", tiny_store, "--quiet", "--verbose")
    assert summarised.exit_code == 0, summarised.stderr
    assert summarised.stderr.startswith("start-up: ") and "phases: resolve model" in summarised.stderr
    assert "start-up" not in cli("classify", str(news), "--tracking-uri", tiny_store, "--quiet").stderr


def test_summaries_modes_choose_what_is_summarised(tiny_store: str, news: Path, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    got = {}
    for mode in briefs_module.SUMMARY_MODES:
        out = tmp_path / f"{mode}.jsonl"
        result = cli("classify", str(news), "--out", str(tmp_path / "o.jsonl"), "--briefs", str(out),
                     "--summaries", mode, "--tracking-uri", tiny_store, "--quiet")
        assert result.exit_code == 0 and result.stderr == "", result.stderr
        got[mode] = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [b["summary"] for b in got["none"]] == [None] * 3
    assert all(b["category_summaries"] == {} for b in got["none"] + got["article"])
    assert [b["summary"] for b in got["article"]] == [b["summary"] for b in got["all"]] == [
        "Ministers agreed to raise two-way trade.", "The navies will hold joint drills.", "He thanked his host."]
    assert got["all"][0]["category_summaries"]["trade"] == "Ministers agreed to raise two-way trade."
    bad = cli("classify", str(news), "--briefs", str(out), "--summaries", "some", "--tracking-uri", tiny_store)
    assert bad.exit_code == 2 and "--summaries must be one of" in bad.stderr


def test_summaries_none_never_loads_the_summariser(tiny_store: str, news: Path, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(batch_classify, "load_summariser", lambda *a, **k: pytest.fail("summariser loaded"))
    opts = batch_classify.ClassifyOptions([str(news)], tmp_path / "o.jsonl", briefs=tmp_path / "b.jsonl",
                                          summaries="none", tracking_uri=tiny_store, quiet=True)
    assert batch_classify.run(opts, err=print) == 0


def test_cli_default_is_the_briefs_default() -> None:
    from accord.cli import classify_cmd

    assert inspect.signature(classify_cmd).parameters["summaries"].default == briefs_module.DEFAULT_SUMMARIES


class Counting:
    """A summariser stub that counts the documents it is asked to summarise."""

    def __init__(self) -> None:
        self.documents = 0

    def predict(self, documents: list[str]) -> pd.DataFrame:
        self.documents += len(documents)
        return pd.DataFrame({"summary": [d.split(" ")[0] + " said so." for d in documents]})


def test_article_mode_summarises_one_document_per_article() -> None:
    rows = [{"sentence_index": i, "text": t, "labels": labels, "scores": {n: 0.9 if n in labels else 0.1
                                                                          for n in LABELS}}
            for i, (t, labels) in enumerate([("They agreed to expand trade.", ["trade"]),
                                              ("Trade should double.", ["trade"]), ("Visas will be eased.", ["visas"]),
                                              ("Student visas will be faster.", ["visas"])])]
    counts = {}
    for mode in ("article", "all"):
        stub, brief = Counting(), briefs_module.build_brief("a", None, rows)
        briefs_module.add_summaries(brief, rows, stub, mode)
        counts[mode] = stub.documents
        assert brief["summary"] == "They said so."
    assert counts == {"article": 1, "all": 3}


def test_progress_bar_over_articles_with_an_eta(tiny_store: str, news: Path, tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    opts = batch_classify.ClassifyOptions([str(news)], tmp_path / "o.jsonl", briefs=tmp_path / "b.jsonl",
                                          tracking_uri=tiny_store, quiet=True, progress=True)
    assert batch_classify.run(opts, err=print) == 0
    bar = capsys.readouterr().err
    assert "briefs: 100%" in bar and "3/3" in bar and "article/s" in bar and "<00:00" in bar  # total and ETA
    opts.progress = None  # the default: only on an interactive stderr (capsys is not one)
    assert batch_classify.run(opts, err=print) == 0
    assert capsys.readouterr().err == ""
    plain = batch_classify.ClassifyOptions([str(news)], tmp_path / "o.jsonl", tracking_uri=tiny_store, quiet=True,
                                           progress=True)
    assert batch_classify.run(plain, err=print) == 0
    assert "classify: " in capsys.readouterr().err  # no briefs: the bar counts sentences


def test_count_articles(news: Path, tmp_path: Path) -> None:
    sentences = tmp_path / "s.jsonl"
    sentences.write_text("".join(json.dumps({"article_id": a, "text": "x"}) + "\n" for a in "aabbbc"),
                         encoding="utf-8")
    assert progress.count_articles([str(news), SEED], "article", 10**8) == 4
    assert progress.count_articles([str(sentences)], "sentence", 10**8) == 3
    assert progress.count_articles([str(news), STDIN], "article", 10**8) is None  # stdin cannot be read twice


def test_phases_add_up_and_start_up_is_measured() -> None:
    phases = progress.Phases()
    slow = phases.timed("work", lambda x: x * 2)
    assert [slow(i) for i in phases.timed_iter("read", range(3))] == [0, 2, 4]
    phases.article_done()
    assert set(phases.seconds) == {"read", "work"} and 0 < phases.first_article <= process_age() < 3600
    assert phases.report()[0].startswith(f"start-up: {phases.first_article:.2f} s to the first article")
    assert cache.cache_root().is_dir()  # tests cache models in a temp folder (conftest)
