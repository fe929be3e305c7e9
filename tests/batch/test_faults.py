"""The hostile-input suite (issue 15): each case a hostile user found, and what Accord does now.

Nothing existing is deleted or truncated by a failed or mistaken run, nothing is injected into a spreadsheet or a
terminal, and no command prints a traceback: every failure is one ``error: ...`` line naming the thing and what to
do, with exit 1 (2 for usage). docs/reliability.md maps each case to its test here (or in tests/test_io.py,
tests/test_text.py). One tiny TF-IDF classifier and a lead-1 summariser are registered once for the module.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import shutil
import signal
import sqlite3
import stat
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import mlflow
import numpy as np
import pytest
from typer.testing import CliRunner, Result

from accord import paths, promotion, storage, tracking
from accord.batch import spark as batch_spark
from accord.batch import writers
from accord.io import OUTPUT_MARKER, OutputError, errors_path

runner = CliRunner()
ARTICLE = "Ministers agreed to raise two-way trade to US$5 billion. The two navies will hold joint drills."
README_MAX_LINES = 200  # the README stays short: details live in docs/


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A temp MLflow store with a tiny TF-IDF classifier and a lead-1 summariser, both @champion; the model cache
    in a temp folder too."""
    from accord.classify.config import ClassifierConfig
    from accord.classify.model import TfidfClassifier
    from accord.labels import to_multi_hot
    from accord.pyfunc import log_classifier, log_summariser
    from accord.summarise.baselines import Lead1Summariser
    from tests.conftest import TINY_LABELS, TINY_REPORTS, make_config

    tmp = tmp_path_factory.mktemp("faults")
    uri = f"sqlite:///{tmp / 'mlflow.db'}"
    texts = [t for k in TINY_REPORTS for t in TINY_REPORTS[k]]
    y = np.array([to_multi_hot(labels) for k in TINY_LABELS for labels in TINY_LABELS[k]])
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MLFLOW_TRACKING_URI", uri)
        mp.setenv("ACCORD_MODEL_CACHE", str(tmp / "cache"))
        clf = TfidfClassifier(make_config(ClassifierConfig, family="tfidf", char_min_df=1)).fit(texts, y, texts, y)
        for name, log in ((tracking.CLASSIFIER, lambda: log_classifier(clf, tracking.CLASSIFIER, texts[:2])),
                          (tracking.SUMMARISER, lambda: log_summariser(Lead1Summariser(), tracking.SUMMARISER,
                                                                       texts[:1]))):
            tracking.setup(name, uri)
            with mlflow.start_run():
                info = log()
            mlflow.MlflowClient().set_registered_model_alias(name, tracking.CHAMPION,
                                                              str(info.registered_model_version))
        yield uri


def invoke(*args: str, stdin: str | bytes | None = None) -> Result:
    """Run ``accord ARGS``; whatever happens, no traceback (CliRunner keeps the exception: only exits allowed)."""
    from accord.cli import app

    result = runner.invoke(app, list(args), input=stdin)
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    return result


def classify(store: str, *args: str, stdin: str | bytes | None = None) -> Result:
    return invoke("classify", *args, "--tracking-uri", store, "--quiet", stdin=stdin)


def one_error(result: Result, *parts: str) -> str:
    """The run's ``error:`` lines, checked to contain ``parts``."""
    errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert errors, result.stderr
    for part in parts:
        assert part in result.stderr, result.stderr
    return "\n".join(errors)


@pytest.fixture
def article(tmp_path: Path) -> Path:
    p = tmp_path / "a.txt"
    p.write_text(ARTICLE, encoding="utf-8")
    return p


@pytest.fixture
def never_loads(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail the test if a model is loaded: the check under test must come before the run starts."""
    from accord.batch import classify as batch_classify

    def boom(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("a model was loaded: the problem was not found before the run")

    monkeypatch.setattr(batch_classify, "load_predictor", boom)


# ---------------------------------------------------------------------------------------------------- data loss


def test_spark_out_an_unrelated_folder_is_refused_and_kept(store: str, tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / "thesis.tex").write_text("years of work", encoding="utf-8")
    result = classify(store, str(paths.SEEDS_DIR), "--engine", "spark", "--out", str(home))
    assert result.exit_code == 2
    one_error(result, f"--out {home} is an existing folder that no earlier Accord run wrote")
    assert [p.name for p in home.iterdir()] == ["thesis.tex"]


def test_spark_replaces_only_its_own_marked_folder(tmp_path: Path) -> None:
    new = tmp_path / ".tmp-new"
    new.mkdir()
    (new / "part-0.json").write_text("{}\n", encoding="utf-8")
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(OutputError, match="no earlier Accord run wrote"):
        batch_spark._replace_dir(new, out)  # checked again at the last moment
    assert (out / "notes.txt").exists() and new.exists()
    (out / "notes.txt").unlink()
    batch_spark._replace_dir(new, out)  # an empty folder holds nothing to lose
    assert sorted(p.name for p in out.iterdir()) == sorted([OUTPUT_MARKER, "part-0.json"])
    again = tmp_path / ".tmp-again"
    again.mkdir()
    batch_spark._replace_dir(again, out)  # marked by the run before: replaced
    assert [p.name for p in out.iterdir()] == [OUTPUT_MARKER]


def test_out_the_same_file_as_an_input_is_refused(store: str, article: Path, never_loads: None) -> None:
    result = classify(store, str(article), "--out", str(article))
    assert result.exit_code == 2
    one_error(result, f"{article}: --out is also an input ({article}); writing it would replace the input")
    assert article.read_text(encoding="utf-8") == ARTICLE


def test_an_all_failed_run_keeps_the_previous_output(store: str, tmp_path: Path, article: Path) -> None:
    out, briefs = tmp_path / "out.jsonl", tmp_path / "briefs.jsonl"
    assert classify(store, str(article), "--out", str(out), "--briefs", str(briefs)).exit_code == 0
    good, good_briefs = out.read_text(encoding="utf-8"), briefs.read_text(encoding="utf-8")
    result = invoke("classify", str(tmp_path / "artcle.txt"), "--out", str(out), "--briefs", str(briefs),
                    "--tracking-uri", store)  # a typo in the path
    assert result.exit_code == 1
    assert "nothing to write, so" in result.stderr and "left as they were" in result.stderr
    assert out.read_text(encoding="utf-8") == good and briefs.read_text(encoding="utf-8") == good_briefs
    assert "no such file or folder" in errors_path(out).read_text(encoding="utf-8")  # what failed is still said
    assert not list(tmp_path.glob(".*.tmp"))


@pytest.mark.parametrize("option", ["--briefs", "--report"])
def test_two_outputs_on_one_file_are_refused(store: str, tmp_path: Path, article: Path, option: str,
                                             never_loads: None) -> None:
    out = tmp_path / "x.jsonl"
    result = classify(store, str(article), "--out", str(out), option, str(out))
    assert result.exit_code == 2
    one_error(result, f"{option} and --out are the same file")
    assert not out.exists()


@pytest.mark.parametrize("value", ["-1", "0", "abc"])
def test_bad_max_bytes_is_a_usage_error(store: str, tmp_path: Path, value: str) -> None:
    jsonl = tmp_path / "in.jsonl"
    jsonl.write_text(json.dumps({"text": ARTICLE}) + "\n", encoding="utf-8")
    for command in ("classify", "summarise"):
        result = invoke(command, str(jsonl), "--max-bytes", value, "--tracking-uri", store)
        assert result.exit_code == 2 and "--max-bytes" in result.output


def test_max_bytes_below_one_is_refused_by_the_library_too() -> None:
    from accord.batch.classify import ClassifyOptions

    assert ClassifyOptions(["x.txt"], max_bytes=-1).problem() == "--max-bytes must be at least 1, got -1"


def test_concurrent_promotions_leave_the_best_model_champion(mlflow_uri: str) -> None:
    """The gate's read-compare-set runs under :func:`accord.promotion.gate_lock` (already in place before this
    issue): five promotions at once, the best score ends up @champion every time."""
    mlflow.set_tracking_uri(mlflow_uri)  # the gate's client uses the current store
    client = mlflow.MlflowClient(mlflow_uri)
    name = "accord-gate-race"
    client.create_registered_model(name)
    scores = [0.61, 0.93, 0.72, 0.88, 0.55]
    versions = [client.create_model_version(name, source=str(Path(mlflow_uri[10:]).parent)).version for _ in scores]
    start = threading.Barrier(len(scores))
    failures: list[BaseException] = []

    def promote(version: str, score: float) -> None:
        start.wait()
        try:
            promotion.promote_if_better(name, str(version), score, metric="gate/score")
        except BaseException as exc:  # reported below, with the thread that met it
            failures.append(exc)

    threads = [threading.Thread(target=promote, args=vs) for vs in zip(versions, scores, strict=True)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert failures == []
    champion = client.get_model_version_by_alias(name, tracking.CHAMPION)
    assert champion.version == versions[scores.index(max(scores))]


# ---------------------------------------------------------------------------------------------------- hangs


def test_a_long_article_without_punctuation_finishes_and_the_cut_is_named(store: str, tmp_path: Path) -> None:
    wall = tmp_path / "wall.txt"
    wall.write_text("ministers discussed trade and visas " * 6000, encoding="utf-8")  # 216 KB, one paragraph
    out = tmp_path / "out.jsonl"
    result = classify(store, str(wall), "--out", str(out))
    assert result.exit_code == 0, result.stderr  # processed: the cut is a warning, not a failure
    assert f"warning: {wall}: paragraph 1 (215,999 characters) has no sentence end" in result.stderr
    logged = [json.loads(x) for x in errors_path(out).read_text(encoding="utf-8").splitlines()]
    assert logged[0]["warning"] is True and "cut at a space 43 time(s)" in logged[0]["error"]
    assert len(out.read_text(encoding="utf-8").splitlines()) == 44


@contextlib.contextmanager
def watchdog(seconds: int) -> Iterator[None]:
    """Fail instead of hanging: SIGALRM interrupts a blocked ``open``."""
    def expire(signum: int, frame: Any) -> None:
        raise TimeoutError(f"blocked for {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def test_a_fifo_is_refused_unless_given_as_dash(store: str, tmp_path: Path, article: Path) -> None:
    fifo = tmp_path / "pipe.txt"
    os.mkfifo(fifo)
    out = tmp_path / "out.jsonl"
    with watchdog(60):
        result = classify(store, str(fifo), str(article), "--out", str(out))
    assert result.exit_code == 1
    one_error(result, f"error: {fifo}: is a named pipe (FIFO), not a file; to read a stream, pipe it in and pass -")
    assert len(out.read_text(encoding="utf-8").splitlines()) == 2  # the rest was processed
    with watchdog(60):
        result = classify(store, "-", "--out", str(out), stdin=ARTICLE)  # a stream, read as "-"
    assert result.exit_code == 0


# ---------------------------------------------------------------------------------------------------- tracebacks


def test_a_read_only_out_file_is_refused_and_kept(store: str, tmp_path: Path, article: Path) -> None:
    out = tmp_path / "out.jsonl"
    out.write_text("protected\n", encoding="utf-8")
    out.chmod(0o444)
    result = classify(store, str(article), "--out", str(out))
    assert result.exit_code == 1
    one_error(result, f"{out}: is read-only (mode 444); make it writable or choose another --out")
    assert out.read_text(encoding="utf-8") == "protected\n"


def test_an_unwritable_out_folder_is_found_before_the_run(store: str, tmp_path: Path, article: Path,
                                                           monkeypatch: pytest.MonkeyPatch, never_loads: None) -> None:
    import tempfile

    locked = tmp_path / "locked"
    locked.mkdir()
    real = tempfile.mkstemp

    def mkstemp(*args: Any, dir: Any = None, **kwargs: Any) -> Any:  # root ignores permission bits: simulated
        if dir is not None and Path(dir) == locked:
            raise PermissionError(errno.EACCES, "Permission denied")
        return real(*args, dir=dir, **kwargs)

    monkeypatch.setattr(tempfile, "mkstemp", mkstemp)
    result = classify(store, str(article), "--out", str(locked / "out.jsonl"))
    assert result.exit_code == 1
    one_error(result, f"cannot write in {locked} (Permission denied); choose another --out")


def test_out_an_existing_folder_is_refused_before_the_run(store: str, tmp_path: Path, article: Path,
                                                           never_loads: None) -> None:
    result = classify(store, str(article), "--out", str(tmp_path))
    assert result.exit_code == 2
    one_error(result, f"{tmp_path}: is a folder; --out needs a file path")


def test_disk_full_is_one_line_and_the_old_output_stays(store: str, tmp_path: Path, article: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "out.jsonl"
    out.write_text("previous run\n", encoding="utf-8")

    def full(self: Any, rows: list[dict[str, Any]]) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(writers.JsonlWriter, "write", full)
    result = classify(store, str(article), "--out", str(out))
    assert result.exit_code == 1
    error = one_error(result, "cannot write (No space left on device); free some space or write elsewhere")
    assert error.count("\n") == 0 and str(out) in error
    assert out.read_text(encoding="utf-8") == "previous run\n"
    assert not list(tmp_path.glob(".*.tmp"))


def test_a_locked_store_is_retried_then_named(store: str, tmp_path: Path, article: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    db = Path(store.removeprefix("sqlite:///"))
    monkeypatch.setattr(storage, "STORE_BUSY_WAIT_S", 0.2)
    monkeypatch.setattr(storage, "STORE_BUSY_TRIES", 2)
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")  # another process in the middle of a write
    try:
        result = classify(store, str(article), "--out", str(tmp_path / "out.jsonl"))
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert result.exit_code == 1
    one_error(result, f"the MLflow store {db} is locked by another process", "wait for that process to finish")
    assert not (tmp_path / "out.jsonl").exists()


@pytest.mark.parametrize("damage", ["garbage", "truncated"])
def test_a_damaged_store_is_named(store: str, tmp_path: Path, article: Path, damage: str) -> None:
    db = tmp_path / "mlflow.db"
    source = Path(store.removeprefix("sqlite:///")).read_bytes()
    db.write_bytes(os.urandom(4096) if damage == "garbage" else source[:len(source) // 3])
    train = ["train", "classifier", "-c", str(paths.CONFIGS_DIR / "classifier" / "tfidf.yaml")]
    for command in (["classify", str(article)], ["summarise", str(article)], train):
        result = invoke(*command, "--tracking-uri", f"sqlite:///{db}")
        assert result.exit_code == 1
        one_error(result, f"the MLflow store {db} is damaged or not an MLflow database",
                  "restore it from a backup")


def _model_folder(store: str, name: str, tmp_path: Path) -> Path:
    """A copy of the registered model's folder (safe to damage)."""
    mlflow.set_tracking_uri(store)
    source = mlflow.artifacts.download_artifacts(f"models:/{name}@{tracking.CHAMPION}", dst_path=str(tmp_path / "dl"))
    return Path(source)


def test_a_truncated_model_artifact_is_named(store: str, tmp_path: Path, article: Path) -> None:
    folder = _model_folder(store, tracking.CLASSIFIER, tmp_path)
    weights = folder / "artifacts" / "classifier" / "pipeline.joblib"
    weights.write_bytes(weights.read_bytes()[:1000])
    result = classify(store, str(article), "--model", str(folder), "--trust-model")
    assert result.exit_code == 1
    one_error(result, f"cannot load {folder}: the model's files are damaged or incomplete (", "EOF")


def test_a_deleted_model_folder_is_named(store: str, tmp_path: Path, article: Path) -> None:
    client = mlflow.MlflowClient(store)
    version = client.get_model_version_by_alias(tracking.CLASSIFIER, tracking.CHAMPION)
    logged = client.get_logged_model(version.source.removeprefix("models:/"))  # source: models:/m-<id>
    stored = Path(logged.artifact_location.removeprefix("file://"))
    aside = tmp_path / "aside"
    shutil.move(stored, aside)
    try:
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv("ACCORD_MODEL_CACHE", str(tmp_path / "fresh-cache"))  # nothing cached: the store is read
            result = classify(store, str(article), "--out", str(tmp_path / "out.jsonl"))
    finally:
        shutil.move(aside, stored)
    assert result.exit_code == 1
    error = one_error(result, "the model's files are missing from the store's artifact folder")
    assert "No such artifact: ''" not in error


def test_a_web_address_as_model_is_refused(store: str, article: Path, never_loads: None) -> None:
    result = classify(store, str(article), "--model", "http://127.0.0.1:9/model")
    assert result.exit_code == 2
    one_error(result, "--model http://127.0.0.1:9/model: models are not loaded from web addresses")


def test_the_summariser_as_classify_model_is_refused_at_once(store: str, tmp_path: Path, article: Path,
                                                              never_loads: None) -> None:
    result = classify(store, str(article), "--model", tracking.SUMMARISER_URI)
    assert result.exit_code == 2
    one_error(result, f"--model {tracking.SUMMARISER_URI} is a summariser, not a classifier")
    folder = _model_folder(store, tracking.SUMMARISER, tmp_path)  # any name: its signature says what it is
    result = classify(store, str(article), "--model", str(folder), "--trust-model")
    assert result.exit_code == 2 and "is a summariser, not a classifier" in result.stderr
    result = invoke("summarise", str(article), "--model", tracking.CLASSIFIER_URI, "--tracking-uri", store)
    assert result.exit_code == 2 and "is a classifier, not a summariser" in result.stderr


def test_a_summariser_registered_under_another_name_is_refused_after_loading(store: str, tmp_path: Path,
                                                                            article: Path) -> None:
    from accord.batch.preflight import loaded_problem

    model = tracking.load_model(tracking.SUMMARISER_URI, store)
    assert loaded_problem(model, "models:/x@champion", "classifier") == (
        2, "--model models:/x@champion is a summariser, not a classifier; pass a classifier's URI")
    assert loaded_problem(model, "models:/x@champion", "summariser") is None


@pytest.mark.parametrize(("override", "message"), [
    ("C=-1", "tfidf.C: must be at least"), ("C=abc", "expected float, got 'abc'"),
    ("seed=1.5", "seed: expected int, got 1.5"), ("word_ngram_max=0", "tfidf.word_ngram_max: must be at least 1"),
    ("epochs=abc", "write it in full"), ("minilm.epochs=abc", "expected int, got 'abc'")])
def test_bad_training_overrides_exit_2_before_a_run(tmp_path: Path, override: str, message: str) -> None:
    """Validated by :mod:`accord.config` (already in place before this issue): no run starts, no store is made."""
    db = tmp_path / "train.db"
    result = invoke("train", "classifier", "-c", str(paths.CONFIGS_DIR / "classifier" / "tfidf.yaml"),
                    "--tracking-uri", f"sqlite:///{db}", override)
    assert result.exit_code == 2
    one_error(result, message)
    assert not db.exists()


def test_a_missing_accord_xsum_is_named(tmp_path: Path) -> None:
    missing = tmp_path / "xsum-typo.jsonl"
    env = {**os.environ, "ACCORD_XSUM": str(missing)}
    proc = subprocess.run([sys.executable, "-m", "accord.cli", "data", "build", "--out", str(tmp_path / "out")],
                          capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert proc.stderr.strip() == (f"error: XSum file {missing}: no such file; set ACCORD_XSUM (or the override "
                                   "xsum_path=FILE) to the shared xsum-1000.jsonl")


@pytest.mark.parametrize("command", [["classify"], ["summarise"], ["evaluate", "classifier"]])
def test_a_mistyped_sqlite_store_is_refused_not_created(tmp_path: Path, article: Path, command: list[str]) -> None:
    typo = tmp_path / "mlfow.db"
    args = [str(article)] if command[0] != "evaluate" else ["--split", "seed"]
    result = invoke(*command, *args, "--tracking-uri", f"sqlite:///{typo}")
    assert result.exit_code == 1
    one_error(result, f"there is no MLflow store at {typo}")
    assert not typo.exists()


# ---------------------------------------------------------------------------------------------------- security

HOSTILE = [{"id": "=cmd|' /C calc'!A0", "text": '=HYPERLINK("http://evil.example","Trade rose")'},
           {"id": "ok", "text": "+1 visas were waived."}, {"id": "ok", "text": "@SUM(A1) defence talks"},
           {"id": "ok", "text": "-2 ministers met."}, {"id": "ok", "text": "Plain trade sentence."}]


def test_csv_cells_that_start_a_formula_are_neutralised(store: str, tmp_path: Path) -> None:
    import csv

    jsonl = tmp_path / "hostile.jsonl"
    jsonl.write_text("".join(json.dumps(r) + "\n" for r in HOSTILE), encoding="utf-8")
    safe, raw = tmp_path / "safe.csv", tmp_path / "raw.csv"
    assert classify(store, str(jsonl), "--unit", "sentence", "--out", str(safe)).exit_code == 0
    assert classify(store, str(jsonl), "--unit", "sentence", "--out", str(raw), "--raw-csv").exit_code == 0
    with safe.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["text"] for r in rows] == ["'" + HOSTILE[0]["text"], "'+1 visas were waived.",
                                         "'@SUM(A1) defence talks", "'-2 ministers met.", "Plain trade sentence."]
    assert rows[0]["article_id"] == "'=cmd|' /C calc'!A0"
    with raw.open(encoding="utf-8", newline="") as fh:
        assert [r["text"] for r in csv.DictReader(fh)] == [r["text"] for r in HOSTILE]


def test_print_briefs_strips_escapes_and_bidi_overrides(store: str, tmp_path: Path) -> None:
    jsonl = tmp_path / "hostile.jsonl"
    text = "Trade\x1b[2J\x1b]0;pwned\x07 rose \u202eevil\u202c sharply.\x1b[31m Visas were waived."
    jsonl.write_text(json.dumps({"id": "a\x1b[1mb", "text": text}) + "\n", encoding="utf-8")
    result = classify(store, str(jsonl), "--out", str(tmp_path / "o.jsonl"), "--print-briefs")  # lead-1 summary
    assert result.exit_code == 0, result.stderr
    assert "ab" in result.stdout and "Trade rose evil sharply." in result.stdout
    for bad in ("\x1b", "\x07", "\u202e", "\u202c"):
        assert bad not in result.stdout


def test_a_model_outside_the_store_needs_trust_model(store: str, tmp_path: Path, article: Path) -> None:
    folder = _model_folder(store, tracking.CLASSIFIER, tmp_path)
    result = classify(store, str(article), "--model", str(folder))
    assert result.exit_code == 2
    one_error(result, f"--model {folder} is outside the project's MLflow store", "pass --trust-model")
    result = classify(store, str(article), "--model", str(folder), "--trust-model")
    assert result.exit_code == 0, result.stderr
    inside = storage.model_uri_problem(str(Path(store.removeprefix("sqlite:///")).parent / "mlartifacts" / "x"),
                                        store)
    assert inside is None  # a folder of the store's own artifacts is the store's


@pytest.mark.parametrize("command", [["review", "export", "x.jsonl"], ["review", "export", "x.jsonl", "--second-model"],
                                     ["benchmark", "classify"], ["benchmark", "summariser"]])
def test_every_command_taking_a_model_path_needs_trust_model(store: str, tmp_path: Path, command: list[str]) -> None:
    folder = tmp_path / "elsewhere"
    folder.mkdir()
    args = [*command, str(folder)] if command[-1] == "--second-model" else [*command, "--model", str(folder)]
    result = invoke(*args, "--tracking-uri", store)
    assert result.exit_code == 2
    one_error(result, f"{folder} is outside the project's MLflow store", "pass --trust-model")


def test_the_readme_says_a_model_is_code() -> None:
    readme = (paths.ROOT / "README.md").read_text(encoding="utf-8")
    assert "## Trust" in readme and "--trust-model" in readme and "is code" in readme
    assert len(readme.splitlines()) <= README_MAX_LINES


# ---------------------------------------------------------------------------------------------------- smaller


def test_utf16_input_is_read_not_called_binary(store: str, tmp_path: Path) -> None:
    wide = tmp_path / "wide.txt"
    wide.write_bytes(ARTICLE.encode("utf-16"))
    result = classify(store, str(wide), "--out", str(tmp_path / "o.jsonl"))
    assert result.exit_code == 0, result.stderr
    assert len((tmp_path / "o.jsonl").read_text(encoding="utf-8").splitlines()) == 2


def test_duplicate_article_ids_across_files_are_a_warning_naming_both(store: str, tmp_path: Path) -> None:
    first, second = tmp_path / "one.jsonl", tmp_path / "two.jsonl"
    first.write_text(json.dumps({"id": "r1", "text": ARTICLE}) + "\n", encoding="utf-8")
    second.write_text(json.dumps({"id": "r2", "text": ARTICLE}) + "\n" + json.dumps({"id": "r1", "text": ARTICLE})
                      + "\n", encoding="utf-8")
    result = classify(store, str(first), str(second), "--out", str(tmp_path / "o.jsonl"))
    assert result.exit_code == 0  # processed: the ids are kept as given
    assert f"warning: {second}:2: article id 'r1' is also used in {first}" in result.stderr


def test_a_folder_names_the_files_it_does_not_read(store: str, tmp_path: Path) -> None:
    """A folder reads its text files; a feed dropped beside them as JSONL is named, not silently skipped."""
    news = tmp_path / "news"
    (news / "day2").mkdir(parents=True)
    (news / "a.txt").write_text(ARTICLE, encoding="utf-8")
    (news / "day2" / "feed.jsonl").write_text(json.dumps({"id": "f1", "text": ARTICLE}) + "\n", encoding="utf-8")
    (news / ".hidden.csv").write_text("text\nx\n", encoding="utf-8")
    (news / "._a.txt").write_bytes(b"\x00\x05\x16\x07")  # hidden files (macOS AppleDouble, editors' drafts) are skipped
    result = classify(store, str(news), "--out", str(tmp_path / "o.jsonl"))
    assert result.exit_code == 0, result.stderr  # a warning: the text files were processed
    assert f"warning: {news}: 1 file(s) not read: day2/feed.jsonl (a folder reads .txt and .md" in result.stderr
    assert ".hidden" not in result.stderr
    ids = {json.loads(line)["article_id"] for line in (tmp_path / "o.jsonl").read_text(encoding="utf-8").splitlines()}
    assert ids == {"a"}


def test_outputs_keep_the_umask_not_0600(store: str, tmp_path: Path, article: Path) -> None:
    out = tmp_path / "o.jsonl"
    old = os.umask(0o022)
    try:
        assert classify(store, str(article), "--out", str(out)).exit_code == 0
    finally:
        os.umask(old)
    assert stat.S_IMODE(out.stat().st_mode) == 0o644
    assert stat.S_IMODE(errors_path(out).stat().st_mode) == 0o644


def test_quiet_runs_print_no_mlflow_warnings() -> None:
    proc = subprocess.run([sys.executable, "-W", "default", "-c", "import accord.pyfunc"], capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0 and "Add type hints" not in proc.stderr and "UserWarning" not in proc.stderr
