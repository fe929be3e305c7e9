"""Classifier benchmark: training wall time per family and inference sentences/s by batch size, side by side.

    python evaluation/benchmark_classifier.py            # writes evaluation/reports/classifier_benchmark.{json,md}

Not a test: numbers depend on the machine; the README quotes the latest report.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import torch

from accord import paths
from accord.classifier import ClassifierConfig, build_classifier
from accord.config import load_config
from accord.dataset import classification_datasets
from accord.train import split_arrays

BATCH_SIZES = (1, 8, 16, 32, 64, 128)


def _rate(clf: Any, texts: list[str], repeats: int) -> float:
    clf.predict_proba(texts[:8])  # warm-up
    best = 0.0
    for _ in range(repeats):
        start = time.perf_counter()
        clf.predict_proba(texts)
        best = max(best, len(texts) / (time.perf_counter() - start))
    return best


def run_benchmark(config_dir: Path = paths.TRAINING_DIR / "configs" / "classifier", repeats: int = 3,
                  batch_sizes: tuple[int, ...] = BATCH_SIZES) -> dict[str, Any]:
    """Train each family once on the default config and measure inference throughput."""
    dd = classification_datasets()
    _, texts, y = split_arrays(dd["train"])
    _, val_texts, val_y = split_arrays(dd["validation"])
    eval_texts = [t for name in ("validation", "test", "seed") for t in dd[name]["text"]]
    result: dict[str, Any] = {
        "machine": {"cpus": os.cpu_count(), "torch_threads": torch.get_num_threads(),
                    "processor": platform.processor() or platform.machine(), "python": platform.python_version(),
                    "torch": torch.__version__},
        "train_sentences": len(texts), "eval_sentences": len(eval_texts), "families": {},
    }
    for family in ("tfidf", "minilm"):
        cfg = load_config(ClassifierConfig, config_dir / f"{family}.yaml")
        start = time.perf_counter()
        clf = build_classifier(cfg).fit(texts, y, val_texts, val_y)
        row: dict[str, Any] = {"train_time_s": time.perf_counter() - start,
                               "epochs_run": len(clf.history) or None}
        if family == "tfidf":
            row["sentences_per_s"] = {"all": _rate(clf, eval_texts, repeats)}
        else:
            rates = {}
            for bs in batch_sizes:
                clf.config = replace(clf.config, predict_batch_size=bs)
                rates[str(bs)] = _rate(clf, eval_texts, repeats)
            row["sentences_per_s"] = rates
            row["best_batch_size"] = int(max(rates, key=rates.get))
        result["families"][family] = row
    return result


def render_markdown(result: dict[str, Any]) -> str:
    """The benchmark as a Markdown table."""
    m = result["machine"]
    lines = [
        "# Classifier benchmark",
        "",
        f"Machine: {m['cpus']} CPUs ({m['processor']}), torch {m['torch']} with {m['torch_threads']} threads, "
        f"Python {m['python']}. Train split {result['train_sentences']} sentences; throughput over "
        f"{result['eval_sentences']} validation+test+seed sentences, best of repeats.",
        "",
        "| family | training wall time (s) | epochs | inference sentences/s (batch size) |",
        "|---|---|---|---|",
    ]
    for family, row in result["families"].items():
        rates = ", ".join(f"{v:,.0f} ({k})" for k, v in row["sentences_per_s"].items())
        lines.append(f"| {family} | {row['train_time_s']:.1f} | {row['epochs_run'] or '-'} | {rates} |")
    best = result["families"].get("minilm", {}).get("best_batch_size")
    if best:
        lines += ["", f"Fastest MiniLM batch size here: {best}."]
    return "\n".join(lines) + "\n"


def write_reports(result: dict[str, Any], out_dir: Path = paths.EVALUATION_DIR / "reports") -> Path:
    from accord.io import write_text_atomic

    out_dir.mkdir(parents=True, exist_ok=True)
    write_text_atomic(out_dir / "classifier_benchmark.json", json.dumps(result, indent=2) + "\n")
    write_text_atomic(out_dir / "classifier_benchmark.md", render_markdown(result))
    return out_dir / "classifier_benchmark.md"


def summariser_benchmark(steps: int = 5, articles: int = 8) -> dict[str, Any]:
    """Training seconds per step (batch of the quick profile) and summarisation articles/s, per family."""
    from accord.dataset import report_datasets
    from accord.summariser import MINILM_WARMSTART, NeuralSummariser, SummariserConfig

    docs = report_datasets()["train"].to_list()
    out: dict[str, Any] = {"machine": {"cpus": os.cpu_count(), "torch_threads": torch.get_num_threads(),
                                       "torch": torch.__version__}, "families": {}}
    quick = load_config(SummariserConfig, paths.TRAINING_DIR / "configs" / "summariser" / "quick.yaml")
    for family, cfg in (("causal", quick), ("seq2seq", replace(quick, family="seq2seq",
                                                                base_model=MINILM_WARMSTART))):
        summ = NeuralSummariser(cfg).build()
        params = [p for p in summ.model.parameters() if p.requires_grad]
        optimiser = torch.optim.AdamW(params, lr=cfg.learning_rate)
        times = []
        for k in range(steps + 1):
            batch = docs[k * cfg.batch_size:(k + 1) * cfg.batch_size]
            summ.model.train()
            start = time.perf_counter()
            summ.loss([b["document"] for b in batch], [b["summary"] for b in batch]).backward()
            optimiser.step()
            optimiser.zero_grad()
            times.append(time.perf_counter() - start)
        start = time.perf_counter()
        summ.summarise([d["document"] for d in docs[:articles]])
        out["families"][family] = {"base_model": cfg.base_model, "batch_size": cfg.batch_size,
                                   "max_source_tokens": cfg.max_source_tokens,
                                   "s_per_step": statistics.median(times[1:]),  # first step warms up
                                   "articles_per_s": articles / (time.perf_counter() - start)}
    return out


def render_summariser_markdown(result: dict[str, Any]) -> str:
    m = result["machine"]
    lines = ["# Summariser benchmark", "",
             f"{m['cpus']} CPUs, torch {m['torch']} with {m['torch_threads']} threads; quick-profile batch and "
             "truncation; median training step after one warm-up step; greedy summarisation of 8 in-domain reports.",
             "", "| family | base | batch | source tokens | training s/step | articles/s |",
             "|---|---|---|---|---|---|"]
    for family, row in result["families"].items():
        lines.append(f"| {family} | {row['base_model']} | {row['batch_size']} | {row['max_source_tokens']} | "
                     f"{row['s_per_step']:.1f} | {row['articles_per_s']:.2f} |")
    return "\n".join(lines) + "\n"
