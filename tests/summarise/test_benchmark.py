"""The summariser benchmark's parts at tiny sizes: the article mix, one decoder run of each kind, a measured child
process, resampled articles and the report (the full run is not a test: docs/batch.md gives its command)."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from accord.summarise import benchmark
from accord.summarise.config import SummariserConfig
from accord.summarise.decoding import common_vocabulary
from accord.summarise.model import NeuralSummariser
from tests.conftest import make_config


def test_articles_are_half_short_curated_half_long_real() -> None:
    articles = benchmark.benchmark_articles(5)
    assert [a["group"] for a in articles] == ["short"] * 2 + ["long"] * 3
    assert len({a["id"] for a in articles}) == 5 and all(a["document"] for a in articles)
    with pytest.raises(ValueError, match="at most"):
        benchmark.benchmark_articles(10_000)


def test_each_decoder_runs_on_the_same_articles(tiny_causal_lm: Path, tmp_path: Path) -> None:
    cfg = make_config(SummariserConfig, family="causal", base_model=str(tiny_causal_lm), max_new_tokens=6,
                      max_source_tokens=48)
    summ = NeuralSummariser(cfg).build()
    summ.common_ids = common_vocabulary(summ.tokenizer, ["the ministers met and agreed to expand trade links ."])
    saved = summ.save(tmp_path / "saved")
    src = tmp_path / "articles.jsonl"
    src.write_text("".join(json.dumps(a) + "\n" for a in benchmark.benchmark_articles(2)), encoding="utf-8")
    rows = {name: benchmark.decode_run(str(saved), "", name, str(src)) for name in benchmark.DECODERS}
    for row in rows.values():
        assert {g: r["articles"] for g, r in row["groups"].items()} == {"short": 1, "long": 1}
        assert len(row["summaries"]) == 2 and row["warm_up_s"] > 0
    assert benchmark.REFERENCE_DECODER in rows
    # the sliced head under the full head's rules writes what the full head writes
    assert rows["sliced, same rules"]["summaries"] == rows[benchmark.REFERENCE_DECODER]["summaries"]
    assert set(rows[benchmark.PROMPT_PASSES]["summaries"].values()) == {""}  # the bound writes nothing


def test_chosen_decoders_run_with_the_reference_in_table_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                                               ) -> None:
    ran = []

    def child(cmd: list[str], env: dict[str, str], log: Path, what: str) -> dict[str, float]:
        ran.append(cmd[-2])
        log.write_text(json.dumps({"groups": {"short": {"articles": 1, "seconds": 2.0, "tokens": 8}},
                                   "summaries": {"a": cmd[-2]}}) + "\n", encoding="utf-8")
        return {"peak_rss_mib": 100.0, "wall_s": 3.0}

    monkeypatch.setattr(benchmark, "child", child)
    articles = [{"group": "short", "id": "a", "document": "The two sides met."}]
    rows = benchmark.decoder_rows("m", None, articles, tmp_path, (benchmark.PROMPT_PASSES, "naive generate"))
    assert ran == ["naive generate", benchmark.REFERENCE_DECODER, benchmark.PROMPT_PASSES] == list(rows)
    assert rows[benchmark.REFERENCE_DECODER]["same_as_reference"] == 1
    assert rows["naive generate"]["same_as_reference"] == 0 and rows["naive generate"]["articles_per_s"] == 0.5


def test_a_child_is_measured_and_a_failure_named(tmp_path: Path) -> None:
    got = benchmark.child([sys.executable, "-c", "print('hi')"], dict(os.environ), tmp_path / "log", "hello")
    assert got["exit"] == 0 and got["wall_s"] > 0 and 1 < got["peak_rss_mib"] < 500
    assert (tmp_path / "log").read_text() == "hi\n"
    with pytest.raises(RuntimeError, match=r"the thing exited 3: boom"):
        benchmark.child([sys.executable, "-c", "import sys; print('boom'); sys.exit(3)"], dict(os.environ),
                        tmp_path / "log", "the thing")


def test_resampled_articles_have_unique_ids(tmp_path: Path) -> None:
    rows = [json.loads(x) for x in benchmark.resampled_articles(30, tmp_path / "a.jsonl").read_text().splitlines()]
    assert len(rows) == len({r["id"] for r in rows}) == 30 and all(r["text"] for r in rows)


def test_the_report_has_every_section() -> None:
    group = {"articles": 2, "seconds": 4.0, "tokens": 40}
    decoder = {"groups": {"short": group, "long": group}, "articles_per_s": 0.5, "tokens_per_s": 10.0,
               "peak_rss_mib": 1500.0, "same_as_reference": 4}
    result = {"machine": {"cpus": 2, "processor": "x86_64", "torch": "2", "load_average_at_start": [1.0]},
              "load_average_at_end": [1.5], "model": "models:/accord-summariser@champion",
              "articles": {"short": 2, "long": 2}, "decoders": dict.fromkeys(benchmark.DECODERS, decoder),
              "cold_start": {"accord classify one.txt": {"first_run_s": 9.0, "first_run_rss_mib": 900.0,
                                                         "warm_s": 0.9, "warm_rss_mib": 200.0, "runs": 3}},
              "briefs": [{"summaries": "article", "articles": 1000, "summaries_written": 1000, "wall_s": 500.0,
                          "articles_per_s": 2.0, "peak_rss_mib": 1800.0},
                         {"summaries": "before", "articles": 1000, "summaries_written": 2600, "wall_s": 4000.0,
                          "articles_per_s": 0.25, "peak_rss_mib": 2500.0}]}
    text = benchmark.render_markdown(result)
    assert "| sliced (default) | 0.50 | 1.00 | 2.00 | 2.00 | 10.0 | 1500 | 4/4 |" in text
    assert "| `accord classify one.txt` | 9.00 | 900 | 0.90 (of 3) | 200 |" in text
    assert "| article | 1,000 | 1,000 | 500.0 | 2.00 | 8.0 | 1800 |" in text  # 8x the command as #13 found it
    assert "| before | 1,000 | 2,600 | 4000.0 | 0.25 | 1.0 | 2500 |" in text


def test_briefs_rows_run_the_modes_and_the_command_before() -> None:
    assert benchmark._briefs_runs("none") == [("none", ("--summaries", "none"), {})]
    article = benchmark._briefs_runs("article")
    assert [label for label, _, _ in article] == ["article", "article" + benchmark.OWN_PASS]
    [(label, options, env)] = benchmark._briefs_runs("before")
    assert label == "before"
    assert options == ("--summaries", "all", "--agreement-draws", "0")
    assert json.loads(env["ACCORD_DECODER"]) == {"sliced_head": False} and env["ACCORD_FAST_LOAD"] == "0"
    assert benchmark._briefs_runs("all-no-draws")[0][2] == {}


def test_cli_refuses_an_unknown_summaries_mode() -> None:
    from accord.cli import app

    result = CliRunner().invoke(app, ["benchmark", "summariser", "--briefs-modes", "article,most"])
    assert result.exit_code == 2 and "--briefs-modes must be" in result.stderr
    result = CliRunner().invoke(app, ["benchmark", "summariser", "--decoder", "sliced, int8", "--decoder", "fastest"])
    assert result.exit_code == 2 and "--decoder must be one of" in result.stderr and "['fastest']" in result.stderr
