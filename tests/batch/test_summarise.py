"""`accord summarise`: .txt files, folders and JSONL in, {"id", "summary", "problems"} out; bad inputs named and
skipped; the problems are the ones a brief acts on."""

from __future__ import annotations

import json
from pathlib import Path

import mlflow
from typer.testing import CliRunner

from accord import paths, promotion, tracking
from accord.cli import app
from accord.pyfunc import log_summariser
from accord.summarise.baselines import Lead1Summariser


def _register_lead1(uri: str) -> None:
    tracking.setup(tracking.SUMMARISER, uri)
    with mlflow.start_run(run_name="lead1-baseline") as run:
        info = log_summariser(Lead1Summariser(), tracking.SUMMARISER, ["HÀ NỘI — One. Two."])
        promotion.promote_if_better(tracking.SUMMARISER, str(info.registered_model_version), 0.0, run.info.run_id)


def test_summarise_files_folders_and_jsonl(mlflow_uri: str, tmp_path: Path) -> None:
    _register_lead1(mlflow_uri)
    folder = tmp_path / "news"
    folder.mkdir()
    (folder / "a.txt").write_text("TOKYO — The ministers met in Tokyo. They discussed trade.", encoding="utf-8")
    feed = tmp_path / "feed.jsonl"
    feed.write_text(json.dumps({"id": "x1", "body": "Both sides agreed to cooperate. More text."}) + "\n"
                    + "{oops\n" + json.dumps({"id": "x2", "text": "no body field"}) + "\n", encoding="utf-8")
    out = tmp_path / "summaries.jsonl"
    result = CliRunner().invoke(app, ["summarise", str(paths.SEEDS_DIR / "001_7a087df03baec5be.txt"), str(folder),
                                      str(feed), str(tmp_path / "missing.txt"), "--text-field", "body", "--out",
                                      str(out), "--tracking-uri", mlflow_uri, "--quiet"])
    assert result.exit_code == 1
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in rows] == ["001_7a087df03baec5be", "a", "x1"]
    assert rows[0]["summary"].startswith("President Lương Cường met with Speaker")
    assert rows[1]["summary"] == "The ministers met in Tokyo."
    assert rows[2]["summary"] == "Both sides agreed to cooperate."
    assert [r["problems"] for r in rows] == [[], [], []]  # a lead sentence is the source's own words
    drawn = CliRunner().invoke(app, ["summarise", str(folder), "--agreement-draws", "3", "--tracking-uri", mlflow_uri,
                                     "--quiet"])
    assert drawn.exit_code == 0 and "has no agreement check (not an accord summariser)" in drawn.stderr
    assert json.loads(drawn.stdout)["problems"] == []
    errors = [json.loads(line) for line in (tmp_path / "summaries.jsonl.errors.jsonl").read_text().splitlines()]
    assert {(Path(e["file"]).name, e["line"]) for e in errors} == {("feed.jsonl", 2), ("feed.jsonl", 3),
                                                                  ("missing.txt", None)}
    assert "feed.jsonl:2: malformed JSON" in result.stderr


def test_summarise_without_a_model_says_what_to_run(mlflow_uri: str, tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["summarise", str(paths.SEEDS_DIR), "--tracking-uri", mlflow_uri])
    assert result.exit_code == 1 and "no summariser to run" in result.stderr


class _Fixed:
    """A summariser that writes the given summaries, with or without its own doubts (as an accord one has)."""

    def __init__(self, summaries: list[str], doubts: list[list[str]] | None = None) -> None:
        self.summaries, self.own = summaries, doubts

    def predict(self, documents: list[str]) -> dict[str, list[str]]:
        return {"summary": self.summaries[:len(documents)]}

    def doubts(self, documents: list[str], summaries: list[str]) -> list[list[str]] | None:
        return self.own


def test_each_summary_carries_the_problems_a_brief_would_act_on() -> None:
    from accord.batch.progress import Phases
    from accord.batch.summarise import summarise_chunk

    source = "Indian External Affairs Minister S Jaishankar met Omani Foreign Minister Sayyid Badr Albusaidi in Muscat."
    sound = "Indian External Affairs Minister S Jaishankar met Sayyid Badr Albusaidi in Muscat."
    wrong = "Omani Foreign Minister S Jaishankar met Sayyid Badr Albusaidi in Muscat."
    chunk = [("a", source), ("b", source)]
    rows = summarise_chunk(_Fixed([sound, wrong]), chunk, Phases())
    assert [r["id"] for r in rows] == ["a", "b"] and rows[0]["problems"] == []
    assert rows[1]["summary"] == wrong and rows[1]["problems"][0].startswith("role")  # written, and flagged
    own = [["unstable: the model's own 3 draws agree 0.20 with it"], []]
    rows = summarise_chunk(_Fixed([sound, wrong], own), chunk, Phases())
    assert [r["problems"] for r in rows] == own  # the summariser's own doubts where it has them


def test_the_summariser_does_not_read_lines_of_page_furniture() -> None:
    from accord.batch.progress import Phases
    from accord.batch.summarise import summarise_chunk

    class Reading(_Fixed):
        def predict(self, documents: list[str]) -> dict[str, list[str]]:
            self.read = documents
            return super().predict(documents)

    body = "Speaker Woo met President Cường in Hà Nội.\nThey agreed to expand trade."
    model = Reading(["Speaker Woo met President Cường.", "Photo : YONHAP News"])
    summarise_chunk(model, [("a", "Photo : YONHAP News\n\n" + body), ("b", "Photo : YONHAP News")], Phases())
    assert model.read == ["\n" + body, "Photo : YONHAP News"]  # nothing but furniture: read as it is


def test_agreement_draws_out_of_range_stop_before_the_model_loads(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["summarise", str(paths.SEEDS_DIR), "--agreement-draws", "17",
                                      "--tracking-uri", f"sqlite:///{tmp_path / 'none.db'}"])
    assert result.exit_code == 2 and "--agreement-draws must be between 0 and 16, got 17" in result.stderr
    assert not (tmp_path / "none.db").exists()
