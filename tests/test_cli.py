"""The ``accord`` command: exit codes and messages."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from accord import paths, tracking
from accord.cli import app
from tests.conftest import make_config

runner = CliRunner()


def test_data_validate_ok() -> None:
    result = runner.invoke(app, ["data", "validate"])
    assert result.exit_code == 0, result.output
    assert "are valid" in result.output


def test_data_validate_names_bad_line(tiny_corpus: tuple[Path, Path, Path]) -> None:
    sentences, reports, seeds = tiny_corpus
    with sentences.open("a", encoding="utf-8") as fh:
        fh.write("{not json\n")
    result = runner.invoke(app, ["data", "validate", f"sentences_path={sentences}", f"reports_path={reports}",
                                 f"seeds_dir={seeds}"])
    assert result.exit_code == 1
    assert f"{sentences}:13: malformed JSON" in result.output


@pytest.mark.parametrize("command", [["data", "validate", "real_splits_path={bad}"],
                                     ["data", "card", "--out", "{out}", "real_splits_path={bad}"],
                                     ["train", "classifier", "family=tfidf", "data.real_splits_path={bad}",
                                      "--no-register"]])
def test_an_unreadable_frozen_splits_file_is_named_not_a_traceback(command: list[str], tmp_path: Path,
                                                                   mlflow_uri: str) -> None:
    bad = tmp_path / "splits.json"
    bad.write_text("{not json", encoding="utf-8")
    args = [a.format(bad=bad, out=tmp_path / "card.md") for a in command]
    result = runner.invoke(app, args)
    assert result.exit_code == 1, result.output
    assert f"{bad}: cannot read the frozen splits" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "card.md").exists()


def test_bad_override_is_a_usage_error() -> None:
    result = runner.invoke(app, ["data", "validate", "nonsense=1"])
    assert result.exit_code == 2 and "override 'nonsense=1'" in result.output


def test_a_missing_base_checkpoint_stops_training_before_a_run(tmp_path: Path, tiny_encoder: Path) -> None:
    """A local ``base_model`` without its checkpoint is named before MLflow starts a run (a Hub id is not checked:
    it may be in the HF cache); one that cannot be loaded is named when training starts, in one line."""
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    result = runner.invoke(app, ["train", "classifier", "family=minilm", f"minilm.base_model={tmp_path / 'none'}",
                                 "--tracking-uri", uri])
    assert result.exit_code == 2 and f"minilm.base_model: no Hugging Face checkpoint (config.json) in {tmp_path}" \
        in result.output
    assert not (tmp_path / "mlflow.db").exists()
    hollow = tmp_path / "hollow"  # a checkpoint's config and tokenizer without its weights
    shutil.copytree(tiny_encoder, hollow, ignore=shutil.ignore_patterns("*.safetensors", "*.bin"))
    unloadable = runner.invoke(app, ["train", "classifier", "family=minilm", f"minilm.base_model={hollow}",
                                     "limit_train=8", "--no-register", "--tracking-uri", uri])
    assert unloadable.exit_code == 1 and f"{hollow}: minilm.base_model cannot be loaded" in unloadable.output
    assert "Traceback" not in unloadable.output
    from accord.classify.config import ClassifierConfig, base_problems

    assert base_problems(make_config(ClassifierConfig, family="minilm", **{"minilm.base_model": "org/model"})) == []
    assert base_problems(make_config(ClassifierConfig, family="tfidf", **{"minilm.base_model": "./none"})) == []


def test_the_mpnet_base_without_its_packages_stops_training_before_a_run(tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    from accord import bases

    monkeypatch.setenv("ACCORD_BASE_CACHE", str(tmp_path / "base"))  # no assembled copy either
    monkeypatch.setattr(bases, "MPNET_PARTS", ("accord-no-such-package-001",))
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    result = runner.invoke(app, ["train", "classifier", "-c", "training/configs/classifier/mpnet_news.yaml",
                                 "--tracking-uri", uri])
    assert result.exit_code == 2 and "minilm.base_model: base 'mpnet' needs the PyPI package " \
        "accord-no-such-package-001" in result.output
    assert not (tmp_path / "mlflow.db").exists() and "Traceback" not in result.output


def test_a_bad_ensemble_member_file_stops_training_before_a_run(tmp_path: Path) -> None:
    """An ensemble member named by a config file that is not there, or whose base is not there, is named before a
    run starts (exit 2, no store written)."""
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    missing = runner.invoke(app, ["train", "classifier", "family=ensemble", "ensemble.members=minilm,nowhere.yaml",
                                  "--tracking-uri", uri])
    assert missing.exit_code == 2 and "nowhere.yaml: no such config file" in missing.output
    (tmp_path / "member.yaml").write_text(f"family: minilm\nminilm:\n  base_model: {tmp_path / 'none'}\n",
                                          encoding="utf-8")
    hollow = runner.invoke(app, ["train", "classifier", "family=ensemble",
                                 f"ensemble.members=tfidf,{tmp_path / 'member.yaml'}", "--tracking-uri", uri])
    assert hollow.exit_code == 2 and f"no Hugging Face checkpoint (config.json) in {tmp_path / 'none'}" \
        in hollow.output
    version = runner.invoke(app, ["train", "classifier", "family=ensemble",
                                  "ensemble.members=tfidf,models:/accord-classifier/3", "--tracking-uri", uri])
    assert version.exit_code == 2 and "ensemble member models:/accord-classifier/3: there is no MLflow store at" \
        in version.output
    assert not (tmp_path / "mlflow.db").exists() and "Traceback" not in missing.output + hollow.output + version.output


def test_the_gemma_alias_trains_a_classifier(tiny_causal_lm: Path, mlflow_uri: str,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """gemma.yaml names the base by its alias: the classifier resolves it (here to a tiny causal LM standing in for
    the converted Gemma), and the run logs the alias, which means the same base on every machine."""
    import mlflow

    monkeypatch.setattr("accord.bases.ensure_gemma", lambda cache=None: tiny_causal_lm)
    config = paths.ROOT / "training" / "configs" / "classifier" / "gemma.yaml"
    result = runner.invoke(app, ["train", "classifier", "-c", str(config), "limit_train=16", "max_steps=1",
                                 "epochs=1", "predict_batch_size=64", "--no-register", "--tracking-uri", mlflow_uri])
    assert result.exit_code == 0, result.output
    client = mlflow.MlflowClient(mlflow_uri)
    run = client.search_runs([client.get_experiment_by_name(tracking.CLASSIFIER).experiment_id])[0]
    assert run.data.params["minilm.base_model"] == "gemma-3-270m"
    assert run.data.params["minilm.freeze_embeddings"] == "True"


def test_the_command_is_offline_unless_told(tmp_path: Path) -> None:
    """A Hub id out of the cache fails at once with its one-line error, without retrying the network (tens of
    seconds); HF_HUB_OFFLINE=0 would let it try."""
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k != "HF_HUB_OFFLINE"}
    out = subprocess.run([sys.executable, "-m", "accord.cli", "train", "classifier", "family=minilm",
                          "minilm.base_model=org/model", "limit_train=8", "--no-register", "--tracking-uri",
                          f"sqlite:///{tmp_path / 'mlflow.db'}"], capture_output=True, text=True, env=env,
                         cwd=paths.ROOT, timeout=600)
    assert out.returncode == 1 and "org/model: minilm.base_model cannot be loaded" in out.stderr + out.stdout
    assert "Retrying" not in out.stderr + out.stdout and "Traceback" not in out.stderr + out.stdout


def test_a_benchmark_report_name_stays_under_the_reports_folder() -> None:
    result = runner.invoke(app, ["benchmark", "classify", "--report", "../elsewhere"])
    assert result.exit_code == 2 and "--report is a file name under evaluation/reports/" in result.output


def test_data_build_saves_datasets(tmp_path: Path, xsum_file: Path) -> None:
    result = runner.invoke(app, ["data", "build", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "| seed | 33 | 2 |" in result.output
    assert {p.name for p in tmp_path.iterdir()} == {"classification", "reports", "xsum", "seed_ledes"}


def test_split_prints_sentences_and_names_bad_files(tmp_path: Path) -> None:
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"\xff\xfe\x00")
    result = runner.invoke(app, ["split", str(paths.SEEDS_DIR / "001_7a087df03baec5be.txt"), str(bad)])
    assert result.exit_code == 1
    lines = [json.loads(x) for x in result.stdout.splitlines()]
    assert len(lines) == 16 and lines[0]["article_id"] == "001_7a087df03baec5be"
    assert f"{bad}:1: binary file" in result.stderr


@pytest.mark.parametrize(("argv", "code", "said"), [
    (["summarise", "{missing}", "--model", "{missing}"], 2, "--trust-model"),  # quick exit: code, message kept
    (["split", "{missing}"], 1, "no such file"),                          # other commands: the usual exit
    (["--help"], 0, "Accord"),
])
def test_the_console_script_keeps_exit_codes_and_output(argv: list[str], code: int, said: str,
                                                        tmp_path: Path) -> None:
    import subprocess
    import sys

    argv = [a.replace("{missing}", str(tmp_path / "missing")) for a in argv]
    script = "import sys; from accord.cli import main; sys.argv = ['accord', *sys.argv[1:]]; main()"
    done = subprocess.run([sys.executable, "-c", script, *argv], capture_output=True, text=True, timeout=120)
    assert done.returncode == code, done.stderr
    assert said in done.stdout + done.stderr and "Traceback" not in done.stderr


def test_an_unexpected_error_is_one_line_not_a_traceback(monkeypatch, capsys) -> None:
    import accord.cli as cli

    def broken() -> None:
        raise ValueError("tuple.index(x): x not in tuple")

    monkeypatch.setattr(cli, "app", broken)
    monkeypatch.delenv("ACCORD_DEBUG", raising=False)
    with pytest.raises(SystemExit) as exit_info:
        cli.main()
    err = capsys.readouterr().err
    assert exit_info.value.code == 1 and "Traceback" not in err
    assert err.strip() == ("error: unexpected ValueError: tuple.index(x): x not in tuple (a bug in accord; "
                           "ACCORD_DEBUG=1 shows where)")
    monkeypatch.setenv("ACCORD_DEBUG", "1")
    with pytest.raises(ValueError):
        cli.main()


def test_train_prints_test_scores_unless_asked_not_to(tmp_path: Path) -> None:
    """The end line gives validation always; test scores only without --no-print-test (a rule that decides on
    validation can keep test unseen until after), and they are logged either way; the gate says why it decided."""
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    shown = runner.invoke(app, ["train", "classifier", "family=tfidf", "limit_train=120", "--tracking-uri", uri])
    hidden = runner.invoke(app, ["train", "classifier", "family=tfidf", "limit_train=120", "--no-print-test",
                                 "--tracking-uri", uri])
    assert shown.exit_code == hidden.exit_code == 0, shown.output + hidden.output
    assert "real validation" in hidden.output and "real test" not in hidden.output
    # the gate's own score on the end line; its reason where it compared with a champion (the same model: a tie)
    assert "(cross-fitted 0." in shown.output and "gate:" not in shown.output  # the first version: nothing to beat
    assert "version 2: champion stays v1\n  gate: gate/real_validation_macro_f1_cross_fitted" in hidden.output
    assert "<= champion v1's" in hidden.output and "better in 0% of article resamples" in hidden.output
    assert "(test scores logged, not printed)" in hidden.output and "real test" in shown.output
    from mlflow import MlflowClient

    client = MlflowClient(uri)
    runs = client.search_runs([client.get_experiment_by_name(tracking.CLASSIFIER).experiment_id])
    assert all("real_test/macro_f1" in run.data.metrics for run in runs) and len(runs) == 2
