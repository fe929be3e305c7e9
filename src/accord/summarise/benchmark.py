"""Summariser benchmark: training seconds per step and summarisation articles/s per family, side by side.

    python evaluation/benchmark_summariser.py   # -> evaluation/reports/summariser_benchmark.{json,md}

Not a test: numbers depend on the machine and its load; the docs quote the latest report.
"""

from __future__ import annotations

import json
import statistics
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from accord import paths
from accord.config import load_config
from accord.data.datasets import report_datasets
from accord.io import write_text_atomic
from accord.summarise.model import MINILM_WARMSTART, NeuralSummariser, SummariserConfig
from accord.system import machine_info


def _step_times(summ: NeuralSummariser, docs: list[dict[str, str]], steps: int) -> list[float]:
    import torch

    size = summ.config.training.batch_size
    params = [p for p in summ.model.parameters() if p.requires_grad]
    optimiser = torch.optim.AdamW(params, lr=summ.config.training.learning_rate)
    times = []
    for k in range(steps + 1):
        batch = docs[k * size:(k + 1) * size]
        summ.model.train()
        start = time.perf_counter()
        summ.loss([b["document"] for b in batch], [b["summary"] for b in batch]).backward()
        optimiser.step()
        optimiser.zero_grad()
        times.append(time.perf_counter() - start)
    return times[1:]  # the first step warms up


def run_benchmark(steps: int = 5, articles: int = 8) -> dict[str, Any]:
    """Training seconds per step (batch of the quick profile) and summarisation articles/s, per family."""
    docs = report_datasets()["train"].to_list()
    out: dict[str, Any] = {"machine": machine_info(), "families": {}}
    quick = load_config(SummariserConfig, paths.CONFIGS_DIR / "summariser" / "quick.yaml")
    seq2seq = replace(quick, model=replace(quick.model, family="seq2seq", base_model=MINILM_WARMSTART))
    for family, cfg in (("causal", quick), ("seq2seq", seq2seq)):
        summ = NeuralSummariser(cfg).build()
        times = _step_times(summ, docs, steps)
        start = time.perf_counter()
        summ.summarise([d["document"] for d in docs[:articles]])
        out["families"][family] = {"base_model": cfg.model.base_model, "batch_size": cfg.training.batch_size,
                                   "max_source_tokens": cfg.model.max_source_tokens,
                                   "s_per_step": statistics.median(times),
                                   "articles_per_s": articles / (time.perf_counter() - start)}
    return out


def render_markdown(result: dict[str, Any]) -> str:
    m = result["machine"]
    lines = ["# Summariser benchmark", "",
             f"{m['cpus']} CPUs, torch {m.get('torch')} with {m.get('torch_threads')} threads; quick-profile batch "
             "and truncation; median training step after one warm-up step; greedy summarisation of 8 in-domain "
             "reports.", "", "| family | base | batch | source tokens | training s/step | articles/s |",
             "|---|---|---|---|---|---|"]
    for family, row in result["families"].items():
        lines.append(f"| {family} | {row['base_model']} | {row['batch_size']} | {row['max_source_tokens']} | "
                     f"{row['s_per_step']:.1f} | {row['articles_per_s']:.2f} |")
    return "\n".join(lines) + "\n"


def write_reports(result: dict[str, Any], out_dir: Path = paths.REPORTS_DIR) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    write_text_atomic(out_dir / "summariser_benchmark.json", json.dumps(result, indent=2) + "\n")
    write_text_atomic(out_dir / "summariser_benchmark.md", render_markdown(result))
    return out_dir / "summariser_benchmark.md"
