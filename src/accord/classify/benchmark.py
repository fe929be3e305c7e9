"""Classifier benchmark: training wall time per family and inference sentences/s by batch size, side by side.

    python evaluation/benchmark_classifier.py            # writes evaluation/reports/classifier_benchmark.{json,md}

Not a test: numbers depend on the machine; the README quotes the latest report.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from accord import paths
from accord.classify.config import ClassifierConfig
from accord.classify.families import build_classifier
from accord.config import load_config
from accord.data.datasets import GATE_SPLIT, classification_datasets, split_arrays
from accord.system import machine_info

BATCH_SIZES = (1, 8, 16, 32, 64, 128)


def _rate(clf: Any, texts: list[str], repeats: int) -> float:
    clf.predict_proba(texts[:8])  # warm-up
    best = 0.0
    for _ in range(repeats):
        start = time.perf_counter()
        clf.predict_proba(texts)
        best = max(best, len(texts) / (time.perf_counter() - start))
    return best


def run_benchmark(config_dir: Path = paths.CONFIGS_DIR / "classifier", repeats: int = 3,
                  batch_sizes: tuple[int, ...] = BATCH_SIZES) -> dict[str, Any]:
    """Train each family once on the default config and measure inference throughput."""
    dd = classification_datasets()
    _, texts, y = split_arrays(dd["train"])
    _, val_texts, val_y = split_arrays(dd[GATE_SPLIT])
    eval_texts = [t for name in ("real_validation", "real_test", "curated_validation", "curated_test", "seed")
                  for t in dd[name]["text"]]
    result: dict[str, Any] = {
        "machine": machine_info(),
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
                clf.config.minilm.predict_batch_size = bs
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


def write_reports(result: dict[str, Any], out_dir: Path = paths.REPORTS_DIR) -> Path:
    from accord.io import write_text_atomic

    out_dir.mkdir(parents=True, exist_ok=True)
    write_text_atomic(out_dir / "classifier_benchmark.json", json.dumps(result, indent=2) + "\n")
    write_text_atomic(out_dir / "classifier_benchmark.md", render_markdown(result))
    return out_dir / "classifier_benchmark.md"
