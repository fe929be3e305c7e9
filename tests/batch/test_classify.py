"""``accord classify``: inputs of every kind, outputs in every format, briefs, report, bad input and interruption.

One tfidf classifier and one lead-1 summariser are trained/registered once for the module in a temp MLflow store.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import mlflow
import pandas as pd
import pytest
from typer.testing import CliRunner

from accord import paths, tracking
from accord.batch import briefs as briefs_module
from accord.batch import classify as batch_classify
from accord.batch import inputs as batch_inputs
from accord.batch import writers
from accord.classify.config import ClassifierConfig
from accord.classify.predictor import Predictor
from accord.io import errors_path
from accord.labels import LABELS, OTHER
from accord.text import article_sentences
from tests.conftest import train_classifier

runner = CliRunner()
SEEDS = sorted(paths.SEEDS_DIR.glob("*.txt"))
ARTICLE = ("HÀ NỘI — Ministers agreed to raise two-way trade to US$5 billion by 2030. The two navies will hold joint "
           "drills next year. Both sides pledged to simplify visa procedures for tourists. — VNS")


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A temp MLflow store with a tfidf classifier and a lead-1 summariser, both @champion."""
    from accord.pyfunc import log_summariser
    from accord.summarise.baselines import Lead1Summariser

    tmp = tmp_path_factory.mktemp("store")
    uri = f"sqlite:///{tmp / 'mlflow.db'}"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MLFLOW_TRACKING_URI", uri)
        train_classifier(ClassifierConfig(family="tfidf"), uri=uri)
        tracking.setup(tracking.SUMMARISER, uri)
        with mlflow.start_run(run_name="lead1"):
            info = log_summariser(Lead1Summariser(), tracking.SUMMARISER, [ARTICLE])
        mlflow.MlflowClient().set_registered_model_alias(tracking.SUMMARISER, tracking.CHAMPION,
                                                          str(info.registered_model_version))
    return uri


@pytest.fixture(scope="module")
def bare_store(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A temp MLflow store with nothing registered."""
    return f"sqlite:///{tmp_path_factory.mktemp('bare') / 'mlflow.db'}"


def classify(store: str, *args: str, stdin: str | bytes | None = None):
    return runner.invoke(app_(), ["classify", *args, "--tracking-uri", store, "--quiet"], input=stdin)


def app_():
    from accord.cli import app

    return app


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def test_seeds_to_jsonl_rows(store: str, tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    result = classify(store, *map(str, SEEDS), "--out", str(out))
    assert result.exit_code == 0, result.stderr
    rows = read_jsonl(out)
    assert len(rows) == 33
    assert [r["article_id"] for r in rows].count(SEEDS[0].stem) == len(article_sentences(SEEDS[0])) == 17
    assert set(rows[0]) == {"article_id", "sentence_index", "text", "labels", "scores"}
    assert [r["sentence_index"] for r in rows[:3]] == [0, 1, 2]
    assert all(set(r["scores"]) == set(LABELS) and set(r["labels"]) <= set(LABELS) for r in rows)
    assert any(r["labels"] for r in rows) and any(not r["labels"] for r in rows)
    assert errors_path(out).read_text() == ""  # nothing failed: an empty errors file
    # the fast path (predict_proba on the unwrapped classifier) agrees with the registered pyfunc's predict
    model = tracking.load_model(tracking.CLASSIFIER_URI, store)
    expected = model.predict([r["text"] for r in rows])
    assert [r["labels"] for r in rows] == [list(x) for x in expected["labels"]]
    assert rows[0]["scores"]["trade"] == pytest.approx(expected["score_trade"][0], abs=1e-6)


def test_formats_agree_and_stdout(store: str, tmp_path: Path) -> None:
    outs = {fmt: tmp_path / f"out.{fmt}" for fmt in writers.FORMATS}
    for out in outs.values():
        result = classify(store, str(SEEDS[1]), "--out", str(out))  # format from the suffix
        assert result.exit_code == 0, result.stderr
    as_jsonl = read_jsonl(outs["jsonl"])
    with outs["csv"].open(encoding="utf-8", newline="") as fh:
        as_csv = list(csv.DictReader(fh))
    as_parquet = pd.read_parquet(outs["parquet"])
    assert len(as_jsonl) == len(as_csv) == len(as_parquet) == 16
    assert [r["labels"] for r in as_jsonl] == [r["labels"].split(";") if r["labels"] else [] for r in as_csv]
    assert [r["labels"] for r in as_jsonl] == [list(x) for x in as_parquet["labels"]]
    assert float(as_csv[3]["score_visas"]) == pytest.approx(as_jsonl[3]["scores"]["visas"])
    assert as_parquet["scores"][3]["visas"] == pytest.approx(as_jsonl[3]["scores"]["visas"])
    result = classify(store, str(SEEDS[1]), "--format", "csv")
    assert result.exit_code == 0
    assert result.stdout.splitlines()[0].startswith("article_id,sentence_index,text,labels,score_trade")
    assert len(result.stdout.splitlines()) == 17


def test_every_input_kind(store: str, tmp_path: Path) -> None:
    folder = tmp_path / "news"
    (folder / "sub").mkdir(parents=True)
    (folder / "a.txt").write_text(ARTICLE, encoding="utf-8")
    (folder / "sub" / "b.md").write_text("The two agencies will cooperate on satellite launches.", encoding="utf-8")
    (folder / "ignored.pdf").write_bytes(b"%PDF")
    jsonl = tmp_path / "in.jsonl"
    jsonl.write_text(json.dumps({"id": "j1", "title": "Talks", "text": ARTICLE}) + "\n\n"
                     + json.dumps({"text": "Coast guards will patrol together."}) + "\n", encoding="utf-8")
    table = tmp_path / "in.csv"
    table.write_text('id,text\nc1,"Students will get scholarships.\nTourists will get e-visas."\n', encoding="utf-8")
    out = tmp_path / "out.jsonl"
    result = classify(store, str(folder), str(jsonl), str(table), "-", "--out", str(out),
                      stdin="Investors were urged to build an LNG terminal.\nThey agreed.\n")
    assert result.exit_code == 0, result.stderr
    rows = read_jsonl(out)
    ids = [r["article_id"] for r in rows]
    assert ids == ["a"] * 3 + ["sub/b", "j1", "j1", "j1", "in:3", "c1", "c1", "stdin", "stdin"]
    assert rows[0]["text"] == "Ministers agreed to raise two-way trade to US$5 billion by 2030."  # dateline stripped
    assert "trade" in rows[0]["labels"] and "visas" in rows[2]["labels"]
    # stdin as JSONL
    result = classify(store, "-", stdin=json.dumps({"id": "x", "text": ARTICLE}) + "\n")
    assert result.exit_code == 0, result.stderr
    assert [json.loads(x)["article_id"] for x in result.stdout.splitlines()] == ["x"] * 3


def test_unit_sentence_keeps_records_whole(store: str, tmp_path: Path) -> None:
    source = [json.loads(x) for x in paths.SENTENCES_FILE.read_text(encoding="utf-8").splitlines()[:40]]
    jsonl = tmp_path / "sentences.jsonl"
    jsonl.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in source), encoding="utf-8")
    lines = tmp_path / "lines.txt"
    lines.write_text("Dr. Kim met Mr. Lee. They talked.\n\nVisas will be waived.\n", encoding="utf-8")
    out, briefs = tmp_path / "out.jsonl", tmp_path / "briefs.jsonl"
    result = classify(store, str(jsonl), str(lines), "--unit", "sentence", "--out", str(out), "--briefs", str(briefs))
    assert result.exit_code == 0, result.stderr
    rows = read_jsonl(out)
    assert [(r["article_id"], r["sentence_index"], r["text"]) for r in rows[:40]] == [
        (s["article_id"], s["sentence_index"], s["text"]) for s in source]
    assert [r["text"] for r in rows[40:]] == ["Dr. Kim met Mr. Lee. They talked.", "Visas will be waived."]
    assert [b["article_id"] for b in read_jsonl(briefs)] == [*dict.fromkeys(s["article_id"] for s in source),
                                                              "lines"]


def test_bad_inputs_are_named_and_the_rest_is_processed(store: str, tmp_path: Path) -> None:
    good = tmp_path / "good.txt"
    good.write_text(ARTICLE, encoding="utf-8")
    empty = tmp_path / "empty.txt"
    empty.write_text("  \n", encoding="utf-8")
    binary = tmp_path / "binary.txt"
    binary.write_bytes(b"PK\x03\x04\x00\x00binary")
    latin1 = tmp_path / "latin1.txt"
    latin1.write_bytes("Le ministre a signé un accord.\nCafé: \xe9".encode("latin-1"))
    jsonl = tmp_path / "mixed.jsonl"
    jsonl.write_bytes(b'{"id": "ok1", "text": "Trade rose sharply."}\n{"id": "broken", "text": \n'
                      b'{"id": "no-text"}\n["a list"]\n{"id": "bad-utf8", "text": "caf\xe9"}\n'
                      b'{"id": "huge", "text": "' + b"x" * 5000 + b'"}\n'
                      b'{"id": "ok2", "text": "Visas will be waived."}\n')
    nocol = tmp_path / "nocol.csv"
    nocol.write_text("id,body\n1,Trade rose.\n", encoding="utf-8")
    big = tmp_path / "big.txt"
    big.write_text("Trade rose. " * 400, encoding="utf-8")
    missing = tmp_path / "missing.txt"
    empty_jsonl = tmp_path / "empty.jsonl"
    empty_jsonl.write_bytes(b"")
    out = tmp_path / "out.jsonl"
    inputs = [good, empty, binary, latin1, jsonl, nocol, big, missing, empty_jsonl]
    result = classify(store, *map(str, inputs), "--out", str(out), "--max-bytes", "4000")
    assert result.exit_code == 1
    expected = [(empty, None, "empty file"), (binary, 1, "binary file"), (latin1, 1, "not valid UTF-8"),
                (jsonl, 2, "malformed JSON"), (jsonl, 3, "non-empty string 'text'"), (jsonl, 4, "JSON object"),
                (jsonl, 5, "not valid UTF-8"), (jsonl, 6, "4,000-byte limit"), (nocol, 1, "no 'text' column"),
                (big, None, "4,000-byte limit"), (missing, None, "no such file"), (empty_jsonl, None, "empty file")]
    logged = read_jsonl(errors_path(out))
    assert [(e["file"], e["line"]) for e in logged] == [(str(p), line) for p, line, _ in expected]
    for (path, line, message), entry in zip(expected, logged, strict=True):
        assert message in entry["error"]
        where = f"{path}:{line}" if line else str(path)
        assert f"error: {where}: " in result.stderr
    assert [r["article_id"] for r in read_jsonl(out)] == ["good"] * 3 + ["ok1", "ok2"]


def test_interrupt_leaves_no_half_written_output(store: str, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    out, briefs = tmp_path / "out.jsonl", tmp_path / "briefs.jsonl"
    out.write_text("previous run\n", encoding="utf-8")
    calls = {"n": 0}
    real_call = Predictor.__call__

    def interrupted(self: Predictor, texts: list[str]):
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt
        return real_call(self, texts)

    monkeypatch.setattr(Predictor, "__call__", interrupted)
    monkeypatch.setattr(batch_classify, "CHUNK", 4)
    with pytest.raises(KeyboardInterrupt):
        batch_classify.run(batch_classify.ClassifyOptions([str(s) for s in SEEDS], out, briefs=briefs, quiet=True,
                                                     tracking_uri=store), err=lambda m: None)
    assert calls["n"] == 2
    assert out.read_text(encoding="utf-8") == "previous run\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.jsonl"]  # no temp files, no partial briefs


def test_briefs_with_summaries(store: str, tmp_path: Path) -> None:
    out, briefs = tmp_path / "out.jsonl", tmp_path / "briefs.jsonl"
    result = classify(store, *map(str, SEEDS), "--out", str(out), "--briefs", str(briefs), "--print-briefs",
                      "--summaries", "all")
    assert result.exit_code == 0, result.stderr
    rows, got = read_jsonl(out), read_jsonl(briefs)
    assert [b["article_id"] for b in got] == [s.stem for s in SEEDS]
    first = got[0]
    mine = [r for r in rows if r["article_id"] == first["article_id"]]
    assert first["n_sentences"] == len(mine) == sum(first["counts"][n] for n in (*LABELS, OTHER)) - sum(
        max(0, len(r["labels"]) - 1) for r in mine)
    assert first["counts"][OTHER] == sum(not r["labels"] for r in mine)
    assert first["shares"]["trade"] == pytest.approx(first["counts"]["trade"] / len(mine), abs=1e-4)
    assert first["categories"] and set(first["categories"]) == set(first["top_sentences"])
    assert first["counts"][first["categories"][0]] == max(first["counts"][n] for n in LABELS)
    for name in first["categories"]:
        scores = [t["score"] for t in first["top_sentences"][name]]
        assert scores == sorted(scores, reverse=True) and len(scores) <= briefs_module.TOP_K
    # lead-1: the article summary is its first sentence; a category's is its first sentence of that category
    assert first["summary"] == mine[0]["text"]
    assert set(first["category_summaries"]) == set(first["categories"])
    for name, summary in first["category_summaries"].items():
        assert summary == next(r["text"] for r in mine if name in r["labels"])
    assert "Summary: " + mine[0]["text"] in result.stdout and "in one sentence:" in result.stdout


def test_briefs_without_a_summariser_warn_and_exit_0(store: str, tmp_path: Path) -> None:
    messages: list[str] = []
    briefs = tmp_path / "briefs.jsonl"
    opts = batch_classify.ClassifyOptions([str(SEEDS[0])], tmp_path / "out.jsonl", briefs=briefs, quiet=True,
                                          tracking_uri=store, summariser_uri="models:/no-such-summariser@champion")
    code = batch_classify.run(opts, err=messages.append)
    assert code == 0
    assert any("without summaries" in m and "summariser" in m for m in messages)
    brief = read_jsonl(briefs)[0]
    assert brief["summary"] is None and brief["category_summaries"] == {} and brief["n_sentences"] == 17


def test_a_registered_summariser_that_cannot_load_stops_the_run(store: str, tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """Briefs were asked with summaries and a summariser is registered: a broken one is an error, not a warning, and
    nothing is written (no brief quietly without its summary)."""
    def broken(*_: object, **__: object) -> None:
        raise tracking.ModelBroken("cannot load models:/accord-summariser@champion: $ACCORD_DECODER is not JSON")

    monkeypatch.setattr(batch_classify, "load_summariser", broken)
    messages: list[str] = []
    out, briefs = tmp_path / "out.jsonl", tmp_path / "briefs.jsonl"
    opts = batch_classify.ClassifyOptions([str(SEEDS[0])], out, briefs=briefs, quiet=True, tracking_uri=store)
    assert batch_classify.run(opts, err=messages.append) == 1
    assert any("ACCORD_DECODER" in m for m in messages) and any("--summaries none" in m for m in messages)
    assert not out.exists() and not briefs.exists()
    opts.summaries = "none"  # the way out it names
    assert batch_classify.run(opts, err=messages.append) == 0 and briefs.exists()


def test_html_report_is_self_contained_and_escaped(store: str, tmp_path: Path) -> None:
    hostile = tmp_path / "hostile.jsonl"
    hostile.write_text(json.dumps({"id": "<b>x</b>", "title": "A & B <script>alert(1)</script>",
                                   "text": "Trade <script>alert(2)</script> rose & visas were waived."}) + "\n",
                       encoding="utf-8")
    report = tmp_path / "report.html"
    result = classify(store, str(SEEDS[0]), str(hostile), "--out", str(tmp_path / "o.jsonl"), "--report", str(report))
    assert result.exit_code == 0, result.stderr
    page = report.read_text(encoding="utf-8")
    assert page.startswith("<!doctype html>") and page.rstrip().endswith("</html>")
    assert "<script" not in page and "&lt;script&gt;alert(2)&lt;/script&gt;" in page and "A &amp; B" in page
    assert "http://" not in page and "https://" not in page and "<link" not in page and "src=" not in page
    assert page.count("<section>") == 2 and all(f'class="l-{n}"' in page for n in (*LABELS, OTHER))
    assert "Summary.</strong>" in page and "Woo Won Shik" in page


def test_no_registered_model_is_a_clear_error(bare_store: str, tmp_path: Path) -> None:
    result = classify(bare_store, str(SEEDS[0]), "--out", str(tmp_path / "o.jsonl"))
    assert result.exit_code == 1
    assert "run `make run` or the training script" in result.stderr
    assert not (tmp_path / "o.jsonl").exists()


def test_usage_errors(store: str) -> None:
    assert classify(store, str(SEEDS[0]), "--format", "parquet").exit_code == 2
    assert classify(store, str(SEEDS[0]), "--unit", "word").exit_code == 2
    assert classify(store, str(SEEDS[0]), "--engine", "gpu").exit_code == 2
    assert classify(store, str(SEEDS[0]), "--print-briefs").exit_code == 2


def test_an_option_taken_as_an_output_name_is_refused(store: str, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = classify(store, str(SEEDS[0]), "--briefs", "--out", str(tmp_path / "x.jsonl"))
    assert result.exit_code == 2 and "looks like an option" in result.output
    assert list(tmp_path.iterdir()) == []  # no file called "--out", nothing else written


def test_progress_bar_only_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.setattr("sys.stderr", Tty())
    assert batch_classify.progress_enabled(quiet=False) and not batch_classify.progress_enabled(quiet=True)
    monkeypatch.setattr("sys.stderr", io.StringIO())
    assert not batch_classify.progress_enabled(quiet=False)


def test_stream_chunks_keep_articles_together() -> None:
    records = [batch_inputs.Record(f"a{i}", ARTICLE, f"f:{i}") for i in range(5)]
    sentences = list(batch_inputs.iter_sentences(records, "article", batch_inputs.ErrorLog()))
    seen: list[tuple[str, int]] = []
    grouper = batch_classify._Articles(lambda first, rows: seen.append((first.article_id, len(rows))))
    for chunk in batch_inputs.chunked(sentences, 4):  # chunk boundaries fall inside articles
        grouper.feed(chunk, [{"labels": []} for _ in chunk])
    grouper.flush()
    assert seen == [(f"a{i}", 3) for i in range(5)]


def test_unsound_abstractive_summaries_fall_back_to_source_sentences() -> None:
    import pandas as pd

    rows = [{"sentence_index": i, "text": t, "labels": labels, "scores": {n: 0.9 if n in labels else 0.1
                                                                          for n in LABELS}}
            for i, (t, labels) in enumerate([
                ("Speaker Woo met President Cường in Hà Nội.", []),
                ("They agreed to expand trade.", ["trade"]),
                ("Trade in farm goods should double.", ["trade"]),
                ("Visa rules will be eased.", ["visas"]),
                ("Student visas will be faster.", ["visas"])])]
    brief = briefs_module.build_brief("a1", None, rows)

    class Stub:  # the article's summary is sound, the trade one invents a bracket, the visas one repeats itself
        def predict(self, documents: list[str]) -> pd.DataFrame:
            return pd.DataFrame({"summary": ["Speaker Woo and President Cường met in Hà Nội, discussing trade.",
                                             "Trade (and the Korean economy) will grow.",
                                             "Visas, visas, visas and more visas."]})

    briefs_module.add_summaries(brief, rows, Stub())
    assert brief["summary"] == "Speaker Woo and President Cường met in Hà Nội, discussing trade."
    assert brief["category_summaries"] == {"trade": brief["top_sentences"]["trade"][0]["text"],
                                           "visas": brief["top_sentences"]["visas"][0]["text"]}
    assert set(brief["extractive"]) == {"trade", "visas"}
    assert "brackets" in brief["extractive"]["trade"][0] and "visas" in brief["extractive"]["visas"][0]
    text = briefs_module.format_brief(brief)
    assert "[top sentence]" in text and "[lead sentence]" not in text


class _RecordingSummariser:
    """Summarises each document as its first sentence; records how many documents each call got; fails any call
    holding a document that contains 'POISON'."""

    def __init__(self) -> None:
        self.calls: list[int] = []

    def predict(self, documents: list[str]) -> pd.DataFrame:
        self.calls.append(len(documents))
        if any("POISON" in d for d in documents):
            raise RuntimeError("cannot summarise this")
        return pd.DataFrame({"summary": [d.split(". ")[0].rstrip(".") + "." for d in documents]})


def _ten_articles(tmp_path: Path, poison: int | None = None) -> Path:
    src = tmp_path / "articles.jsonl"
    texts = [f"Minister {i} met the envoy in Hanoi. They agreed to expand trade. Both sides eased visas."
             + (" POISON." if i == poison else "") for i in range(10)]
    src.write_text("".join(json.dumps({"id": f"a{i}", "text": t}) + "\n" for i, t in enumerate(texts)),
                   encoding="utf-8")
    return src


def _scorer(texts: list[str]) -> tuple[list[list[float]], list[list[str]]]:
    labels = [["trade"] if "trade" in t else (["visas"] if "visa" in t else []) for t in texts]
    return [[0.9 if n in lab else 0.1 for n in LABELS] for lab in labels], labels


def test_briefs_summarise_several_articles_per_call_and_keep_their_order(tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(batch_classify, "SUMMARY_BATCH", 4)  # ten articles: calls of 4, 4 and 2
    summariser, out = _RecordingSummariser(), io.StringIO()
    sinks = batch_classify.BriefSinks(briefs=out, summariser=summariser, summaries="article")
    result = batch_classify.classify([str(_ten_articles(tmp_path))], _scorer, io.StringIO(), sinks=sinks)
    briefs = [json.loads(line) for line in out.getvalue().splitlines()]
    assert summariser.calls == [4, 4, 2]
    assert [b["article_id"] for b in briefs] == [f"a{i}" for i in range(10)] and result.briefs == 10
    assert [b["summary"] for b in briefs] == [f"Minister {i} met the envoy in Hanoi." for i in range(10)]


def test_a_failing_article_does_not_cost_the_others_their_summaries(tmp_path: Path) -> None:
    summariser, out = _RecordingSummariser(), io.StringIO()
    sinks = batch_classify.BriefSinks(briefs=out, summariser=summariser, summaries="article")
    result = batch_classify.classify([str(_ten_articles(tmp_path, poison=3))], _scorer, io.StringIO(), sinks=sinks)
    briefs = [json.loads(line) for line in out.getvalue().splitlines()]
    assert len(briefs) == 10 and briefs[3]["summary"] is None
    assert all(b["summary"] for i, b in enumerate(briefs) if i != 3)
    assert result.warnings == ["a3: summariser failed (cannot summarise this); brief has no summaries"]


def test_a_summary_its_summariser_doubts_falls_back_with_the_reason() -> None:
    rows = [{"sentence_index": i, "text": t, "labels": [], "scores": dict.fromkeys(LABELS, 0.1)}
            for i, t in enumerate(["Speaker Woo met President Cường in Hà Nội.", "They agreed to expand trade."])]
    sound = "Speaker Woo and President Cường met in Hà Nội."

    class Doubtful:  # a sound summary (no check flags it) that the summariser itself does not trust
        def predict(self, documents: list[str]) -> dict[str, list[str]]:
            return {"summary": [sound] * len(documents)}

        def doubts(self, documents: list[str], summaries: list[str]) -> list[list[str]]:
            return [["unstable: the model's own 3 draws agree 0.20 with it (< 0.46)"] for _ in summaries]

    brief = briefs_module.build_brief("a1", None, rows)
    briefs_module.add_summaries(brief, rows, Doubtful(), "article")
    assert brief["summary"] == rows[0]["text"] and brief["extractive"]["summary"][0].startswith("unstable")
    del Doubtful.doubts  # without its own doubts the soundness checks decide, and they find nothing here
    briefs_module.add_summaries(brief, rows, Doubtful(), "article")
    assert brief["summary"] == sound and brief["extractive"] == {}



def test_the_lead_sentence_fallback_skips_page_furniture() -> None:
    texts = ["Photo : YONHAP News", "Speaker Woo met President Cường in Hà Nội.", "They agreed to expand trade."]
    rows = [{"sentence_index": i, "text": t, "labels": [], "scores": dict.fromkeys(LABELS, 0.1)}
            for i, t in enumerate(texts)]

    class Looping:  # every summary fails the checks, so the brief shows the extract
        def __init__(self) -> None:
            self.read: list[str] = []

        def predict(self, documents: list[str]) -> dict[str, list[str]]:
            self.read += documents
            return {"summary": ["Visas, visas, visas and more visas."] * len(documents)}

    brief, summariser = briefs_module.build_brief("a1", None, rows), Looping()
    briefs_module.add_summaries(brief, rows, summariser, "article")
    assert brief["summary"] == texts[1] and "summary" in brief["extractive"]
    assert summariser.read == [" ".join(texts[1:])]  # the summariser never reads the photo credit
    only_furniture = rows[:1]
    brief = briefs_module.build_brief("a2", None, only_furniture)
    briefs_module.add_summaries(brief, only_furniture, Looping(), "article")
    assert brief["summary"] == texts[0]  # nothing else to show

def test_agreement_draws_outside_its_range_is_a_usage_error(tmp_path: Path) -> None:
    opts = batch_classify.ClassifyOptions([str(tmp_path)], agreement_draws=17)
    assert "--agreement-draws" in opts.problem()
    assert batch_classify.ClassifyOptions([str(tmp_path)], agreement_draws=0).problem() is None


def test_the_report_says_why_a_brief_shows_the_lead_sentence() -> None:
    import io

    from accord.batch.briefs import build_brief
    from accord.batch.report import ReportWriter

    rows = [{"article_id": "a", "sentence_index": 0, "text": "Ministers met <here>.", "labels": ["trade"],
             "scores": dict.fromkeys(LABELS, 0.9)}]
    brief = build_brief("a", None, rows) | {"summary": "Ministers met <here>.",
                                            "extractive": {"summary": ["role: <X> is not a minister", "loop: y"]}}
    fh = io.StringIO()
    ReportWriter(fh).article(brief, rows)
    page = fh.getvalue()
    assert "failed a check: role: &lt;X&gt; is not a minister; …" in page  # the first reason, escaped
    assert 'title="role: &lt;X&gt; is not a minister; loop: y"' in page  # all of them on hover
    fh = io.StringIO()
    ReportWriter(fh).article(brief | {"extractive": {}}, rows)
    assert "lead sentence" not in fh.getvalue()
