"""Summarisers side by side: the fine-tuned default, the untuned base, lead-1 and TextRank, on XSum test, the
in-domain test reports and the seeds' lede pairs; one MLflow evaluation run per (system, dataset) and one table.

    metrics, objects = evaluate(EvalConfig(xsum_limit=50))       # mirrors accord.summarise.train.train
    accord evaluate summariser xsum_limit=50 systems=lead1,textrank   # the same from the command line

Writes ``evaluation/reports/summariser_eval.{json,md}`` (ROUGE with 95% bootstrap CIs, length, novelty,
repetition, faithfulness, and sample summaries next to their sources).
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import mlflow
import pandas as pd

from accord import paths, tracking
from accord.config import arg
from accord.data.datasets import (
    DataConfig,
    lede_pairs,
    real_summary_datasets,
    report_datasets,
    second_real_test,
    xsum_datasets,
)
from accord.summarise.baselines import Lead1Summariser, TextRankSummariser
from accord.summarise.guard import soundness_problems
from accord.summarise.metrics import paired_difference, rouge, summary_report

DATASETS = ("real-test", "reports-test", "xsum-test", "seed-ledes")  # real-test: outlets never trained on
SECOND_TEST = "real-test-2"  # the second real test set (data.second_test_dir): read once per champion, on request
DEV_DATASETS = ("real-validation", "xsum-validation")  # for choosing between candidates; never in the default report
# what briefs are written for
NEWS_DATASETS = ("real-test", "real-validation", "reports-test", "seed-ledes", SECOND_TEST)
ALL_DATASETS = (*DATASETS, SECOND_TEST, *DEV_DATASETS)  # what can be asked for, in report order
SYSTEMS = ("default", "base", "lead1", "textrank")


@dataclass
class EvalConfig:
    """Which systems to compare on which test data."""

    systems: str = arg(",".join(SYSTEMS), f"comma-separated systems out of {SYSTEMS}")
    datasets: str = arg(",".join(DATASETS), f"comma-separated datasets out of {ALL_DATASETS}")
    model_uri: str = arg(tracking.SUMMARISER_URI, "the fine-tuned summariser (system 'default')")
    xsum_limit: int = arg(0, ">0: score only the first N XSum test rows", low=0)
    agreement_on: str = arg(",".join(NEWS_DATASETS), "datasets whose brief fallback runs the briefs' agreement check "
                                                     "too (the model's own draws: several decodes per summary); the "
                                                     "others, and models without it, the checks alone")
    samples: int = arg(10, "real test articles shown side by side in the report", low=0)
    report: str = arg("summariser_eval", "report name: evaluation/reports/<report>.{json,md} (keep development "
                                         "comparisons on real-validation apart from the test report)")
    data: DataConfig = arg(help="data and splits", factory=DataConfig)

    def validate(self) -> None:
        for name, allowed in (("systems", SYSTEMS), ("datasets", ALL_DATASETS), ("agreement_on", ALL_DATASETS)):
            unknown = set(getattr(self, name).split(",")) - set(allowed) - ({""} if name == "agreement_on" else set())
            if unknown:
                raise ValueError(f"{name}: unknown {sorted(unknown)}; choose from {list(allowed)}")
        if not re.fullmatch(r"[A-Za-z0-9_.-]+", self.report):
            raise ValueError(f"report: {self.report!r} must be a plain file name (letters, digits, _ . -)")


def load_datasets(data_cfg: DataConfig, xsum_limit: int = 0) -> dict[str, list[dict[str, str]]]:
    """The test data: real test articles (outlets never trained on), the second real test set (a later round kept
    out of the corpus; empty where there is none), curated test reports, XSum rows 801-1000 (optionally the first
    N), seed lede pairs; and real validation and the held-out XSum rows 1-800, for choosing
    between candidates."""
    splits = xsum_datasets(data_cfg)
    xsum = splits["test"].to_list()
    real = real_summary_datasets(data_cfg)
    return {
        "real-test": real["test"].to_list(),
        SECOND_TEST: second_real_test(data_cfg),
        "real-validation": real["validation"].to_list(),
        "reports-test": report_datasets(data_cfg)["test"].to_list(),
        "xsum-test": xsum[:xsum_limit] if xsum_limit else xsum,
        "xsum-validation": splits["validation"].to_list(),
        "seed-ledes": lede_pairs(data_cfg.seeds_dir).to_list(),
    }


def load_system(name: str, model_uri: str) -> tuple[Any, dict[str, str]]:
    """A summariser object for a system name, and tags describing it."""
    if name == "lead1":
        return Lead1Summariser(), {}
    if name == "textrank":
        return TextRankSummariser(), {}
    model = tracking.load_model(model_uri)
    fine_tuned = model.unwrap_python_model().summariser
    if name == "default":
        return fine_tuned, {"accord.model_uri": model_uri}
    from accord.summarise.model import NeuralSummariser

    untuned = NeuralSummariser(fine_tuned.config).build(lora=False)  # same base, prompt and decoding, no tuning
    return untuned, {"accord.base_model": fine_tuned.config.model.base_model}


def _score(system: str, summariser: Any, tags: dict[str, str], dataset: str, items: list[dict[str, str]],
           agreement: bool = False) -> tuple[dict[str, Any], list[str]]:
    """Summarise one dataset with one system, log it as an evaluation run; returns the row and the predictions."""
    docs, refs = [r["document"] for r in items], [r["summary"] for r in items]
    start = time.perf_counter()
    preds = summariser.summarise(docs)
    elapsed = time.perf_counter() - start
    report = summary_report(preds, refs, docs)
    report["articles_per_s"] = len(docs) / elapsed if elapsed else float("inf")
    problems = [soundness_problems(p, d) for p, d in zip(preds, docs, strict=True)]  # once: rate and samples
    report["fallback_rate_checks"] = flagged_share(problems)
    report["fallback_rate"] = brief_fallback_rate(summariser, preds, docs) if agreement else \
        report["fallback_rate_checks"]
    with mlflow.start_run(run_name=f"eval-{system}-{dataset}"):
        mlflow.set_tags({tracking.RUN_TYPE_TAG: "evaluation", "accord.system": system, "accord.dataset": dataset}
                        | tags)
        mlflow.log_metrics({k: v for k, v in report.items() if v == v})  # NaN-free
        mlflow.log_table(samples_table(items, preds, dataset, problems), "samples.json")
    return {"system": system, "dataset": dataset} | report, preds


def flagged_share(problems: list[list[str]]) -> float:
    """Share of summaries with at least one problem (0 for none)."""
    return sum(map(bool, problems)) / len(problems) if problems else 0.0


def fallback_rate(predictions: list[str], documents: list[str]) -> float:
    """Share of summaries a brief would replace by the extract (any soundness problem: accord.summarise.guard)."""
    return flagged_share([soundness_problems(p, d) for p, d in zip(predictions, documents, strict=True)])


def brief_fallback_rate(summariser: Any, predictions: list[str], documents: list[str]) -> float:
    """Share of summaries a brief replaces by the extract, decided as briefs decide
    (:func:`accord.summarise.guard.brief_problems`)."""
    from accord.summarise.guard import brief_problems

    return flagged_share(brief_problems(summariser, documents, predictions))


def samples_table(items: list[dict[str, str]], preds: list[str], source: str = "",
                  problems: list[list[str]] | None = None) -> pd.DataFrame:
    """One row per summary: id, source, document head, reference, prediction and its own scores and checks
    (``problems``: the soundness checks' findings where the caller has them already)."""
    from accord.summarise.metrics import rouge

    scores = rouge(preds, [r["summary"] for r in items])
    if problems is None:
        problems = [soundness_problems(p, r["document"]) for p, r in zip(preds, items, strict=True)]
    return pd.DataFrame({
        "id": [r["id"] for r in items], "source": source or [r.get("source", "") for r in items],
        "document_head": [r["document"][:300] for r in items], "reference": [r["summary"] for r in items],
        "prediction": preds, "rougeL": [round(float(x), 1) for x in scores["rougeL"]],
        "problems": ["; ".join(found) for found in problems]})


def _samples(data: dict[str, list[dict[str, str]]], predictions: dict[tuple[str, str], list[str]],
             systems: list[str], n: int) -> list[dict[str, str]]:
    if ("default", "real-test") not in predictions:
        return []
    return [{"id": item["id"], "source_head": item["document"][:400], "reference": item["summary"],
             **{s: predictions[(s, "real-test")][k] for s in systems if (s, "real-test") in predictions}}
            for k, item in enumerate(data["real-test"][:n])]


def paired_rows(data: dict[str, list[dict[str, str]]], predictions: dict[tuple[str, str], list[str]]
                ) -> list[dict[str, Any]]:
    """The fine-tuned default against each other system on each dataset, paired by article: ROUGE-L difference with
    its 95% bootstrap interval and the share of resamples the default wins."""
    out = []
    for dataset, items in data.items():
        if ("default", dataset) not in predictions:
            continue
        refs = [r["summary"] for r in items]
        ours = rouge(predictions[("default", dataset)], refs)["rougeL"]
        for system in SYSTEMS[1:]:
            if (system, dataset) in predictions:
                theirs = rouge(predictions[(system, dataset)], refs)["rougeL"]
                out.append({"dataset": dataset, "baseline": system} | paired_difference(ours, theirs))
    return out


def _calibration(data: dict[str, list[dict[str, str]]]) -> dict[str, dict[str, float]]:
    """The references themselves, scored like a system: what "faithful" reaches on each dataset."""
    out = {}
    for dataset, items in data.items():
        refs = [r["summary"] for r in items]
        ref = summary_report(refs, refs, [r["document"] for r in items])
        out[dataset] = {k: ref[k] for k in ("faithfulness", "name_pair_faithfulness", "clean_rate")}
    return out


def evaluate(cfg: EvalConfig, uri: str | None = None) -> tuple[dict[str, float], dict[str, Any]]:
    """Score every system on every dataset, one evaluation run each; returns ``{system/dataset/metric: value}``
    and the result (rows, samples, reference calibration) that :func:`render_markdown` turns into the report."""
    tracking.setup(tracking.SUMMARISER, uri)
    systems, datasets = cfg.systems.split(","), cfg.datasets.split(",")
    data = {k: v for k, v in load_datasets(cfg.data, cfg.xsum_limit).items() if k in datasets}
    empty = [k for k, v in data.items() if not v]
    if empty:
        raise ValueError(f"no articles in {empty} (real-test-2 reads data.second_test_dir: {cfg.data.second_test_dir})")
    rows, predictions = [], {}
    for system in systems:
        summariser, tags = load_system(system, cfg.model_uri)
        for dataset, items in data.items():
            row, predictions[(system, dataset)] = _score(system, summariser, tags, dataset, items,
                                                         dataset in cfg.agreement_on.split(","))
            rows.append(row)
    result = {"rows": rows, "paired": paired_rows(data, predictions),
              "samples": _samples(data, predictions, systems, cfg.samples),
              "xsum_limit": cfg.xsum_limit, "model_uri": cfg.model_uri, "references": _calibration(data)}
    metrics = {f"{r['system']}/{r['dataset']}/{k}": v for r in rows for k, v in r.items()
               if isinstance(v, float)}
    metrics |= {f"default_vs_{p['baseline']}/{p['dataset']}/rougeL_{k}": p[k] for p in result["paired"]
                for k in ("diff", "low", "high", "wins")}
    return metrics, result


def _cell(row: dict[str, Any], key: str) -> str:
    return f"{row[key]:.1f} [{row[key + '_ci_low']:.1f}, {row[key + '_ci_high']:.1f}]"


def _pct(row: dict[str, Any], key: str) -> str:
    if key not in row:  # a row scored before that metric existed
        return "-"
    return f"{100 * row[key]:.0f} [{100 * row[key + '_ci_low']:.0f}, {100 * row[key + '_ci_high']:.0f}]"


def _fallback(row: dict[str, Any]) -> str:
    both, checks = row.get("fallback_rate", float("nan")), row.get("fallback_rate_checks")
    return f"{100 * both:.0f}" + (f" ({100 * checks:.0f})" if checks is not None and checks != both else "")


HEAD = ("| dataset | system | n | ROUGE-1 | ROUGE-2 | ROUGE-L | words | clean % | loop % | role error % | garbled % | "
        "invented topic % | brief fallback % | faithfulness | articles/s |")


def render_markdown(result: dict[str, Any]) -> str:
    """The comparison table and the samples as Markdown."""
    lines = ["# Summariser evaluation", "",
             f"Model: `{result['model_uri']}`. ROUGE F1 x100 (stemmed) and failure rates in %, mean [95% bootstrap "
             "CI]. clean = no loop and no role error; loop = a content word three times or a list recycling a "
             "word; role error = a person given an office or country the source does not give them; garbled = "
             "broken hyphenation, glued words, dangling ends or names the source never writes; invented topic = a "
             "cooperation topic the source never mentions; faithfulness = "
             "share of the summary's numbers and name words found in the source (`accord.summarise.metrics`); brief "
             "fallback = share a brief replaces by its extract, as briefs decide: a check of "
             "`accord.summarise.guard` fails or, for a fine-tuned model on the news datasets, the summary disagrees "
             "with its own draws (the agreement check); in brackets, where it differs, the checks alone. "
             + (f"XSum test limited to its first {result['xsum_limit']} rows." if result["xsum_limit"] else ""), "",
             HEAD, "|" + "---|" * (HEAD.count("|") - 1)]
    for row in sorted(result["rows"], key=lambda r: (ALL_DATASETS.index(r["dataset"]), SYSTEMS.index(r["system"]))):
        lines.append(f"| {row['dataset']} | {row['system']} | {int(row['n'])} | {_cell(row, 'rouge1')} | "
                     f"{_cell(row, 'rouge2')} | {_cell(row, 'rougeL')} | {row['length_words']:.1f} | "
                     f"{_pct(row, 'clean_rate')} | {_pct(row, 'loop_rate')} | {_pct(row, 'role_error_rate')} | "
                     f"{_pct(row, 'garbled_rate')} | {_pct(row, 'invented_topic_rate')} | "
                     f"{_fallback(row)} | "
                     f"{row['faithfulness']:.2f} | {row['articles_per_s']:.2f} |")
    lines += _paired_lines(result.get("paired", []))
    if result.get("references"):
        lines += ["", "The reference summaries themselves score: " + "; ".join(
            f"{d} faithfulness {v['faithfulness']:.2f}, clean {100 * v['clean_rate']:.0f}%"
            for d, v in result["references"].items()) + "."]
    if result["samples"]:
        lines += ["", "## Samples (real test articles: outlets never trained on)", ""]
        for s in result["samples"]:
            lines += [f"**{s['id']}** — source: {s['source_head']}…", "",
                      f"- reference: {s['reference']}",
                      *(f"- {k}: {v}" for k, v in s.items() if k in SYSTEMS), ""]
    return "\n".join(lines) + "\n"


def _paired_lines(paired: list[dict[str, Any]]) -> list[str]:
    if not paired:
        return []
    lines = ["", "The default against each baseline on the same articles (paired bootstrap by article, 1,000 "
             "resamples): ROUGE-L difference [95% CI] and the share of resamples the default wins.", "",
             "| dataset | baseline | ROUGE-L difference | default wins |", "|---|---|---|---|"]
    return lines + [f"| {p['dataset']} | {p['baseline']} | {p['diff']:+.1f} [{p['low']:+.1f}, {p['high']:+.1f}] | "
                    f"{100 * p['wins']:.1f}% |" for p in paired]


def write_reports(result: dict[str, Any], out_dir: Path = paths.REPORTS_DIR, name: str = "summariser_eval") -> Path:
    from accord.io import write_text_atomic

    out_dir.mkdir(parents=True, exist_ok=True)
    write_text_atomic(out_dir / f"{name}.json", json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    write_text_atomic(out_dir / f"{name}.md", render_markdown(result))
    return out_dir / f"{name}.md"
