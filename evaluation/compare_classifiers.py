"""Train several classifier candidates in one go (each an MLflow run; the gate decides the champion) and compare them.

    python evaluation/compare_classifiers.py                         # the candidates below, validation only
    python evaluation/compare_classifiers.py --report                # final: also real test, curated test, seeds
    python evaluation/compare_classifiers.py --only tfidf,ensemble   # a subset

Candidates are chosen on real_validation only; ``--report`` adds the held-out splits and writes
``evaluation/reports/classifier_comparison.{json,md}`` (per-label F1 on every split, training time).
"""

from __future__ import annotations

import argparse
import json
import time

from accord import paths
from accord.classify.config import ClassifierConfig
from accord.classify.train import train
from accord.config import load_config
from accord.io import write_text_atomic
from accord.labels import LABELS

CONFIGS = paths.CONFIGS_DIR / "classifier"
CANDIDATES = {  # name: (config file, overrides)
    "tfidf": ("tfidf.yaml", []),
    "minilm": ("minilm.yaml", []),
    "setfit": ("setfit.yaml", []),
    "ensemble": ("ensemble.yaml", []),
}
DEV_SPLITS = ("real_validation", "curated_validation")
REPORT_SPLITS = ("real_validation", "real_test", "curated_test", "seed")


def run(names: list[str], tracking_uri: str | None) -> dict[str, dict[str, float]]:
    out = {}
    for name in names:
        file, overrides = CANDIDATES[name]
        cfg = load_config(ClassifierConfig, CONFIGS / file, [*overrides, f"run_name=compare-{name}"],
                          {"data": paths.DATA_CONFIG_FILE})
        start = time.perf_counter()
        metrics, objects = train(cfg, tracking_uri)
        out[name] = metrics | {"wall_s": time.perf_counter() - start, "version": float(objects.version or 0),
                               "promoted": float(bool(objects.decision and objects.decision.promoted))}
        print(f"{name}: " + table_row(out[name], DEV_SPLITS), flush=True)
    return out


def table_row(m: dict[str, float], splits: tuple[str, ...]) -> str:
    cells = []
    for split in splits:
        labels = " ".join(f"{m[f'{split}_labels/f1_{label}']:.2f}" for label in LABELS)
        cells.append(f"{m[f'{split}/macro_f1']:.3f} ({labels})")
    return " | ".join(cells)


def render(results: dict[str, dict[str, float]]) -> str:
    head = " | ".join(f"{s} macro-F1 (per label)" for s in REPORT_SPLITS)
    lines = ["# Classifier comparison", "",
             f"Per-label F1 in label order {', '.join(LABELS)}. Candidates were chosen on real_validation only; "
             "real_test holds outlets that no candidate saw in training or selection.", "",
             f"| candidate | {head} | seed wrong | train s |", "|---|" + "---|" * (len(REPORT_SPLITS) + 2)]
    for name, m in results.items():
        lines.append(f"| {name} | {table_row(m, REPORT_SPLITS)} | {int(m['seed/wrong_sentences'])} | "
                     f"{m['time/train_s']:.0f} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default=",".join(CANDIDATES), help="comma-separated candidates")
    parser.add_argument("--tracking-uri", default=None)
    parser.add_argument("--report", action="store_true", help="write the report with the held-out splits")
    args = parser.parse_args()
    results = run(args.only.split(","), args.tracking_uri)
    if args.report:
        out = paths.REPORTS_DIR / "classifier_comparison"
        write_text_atomic(out.with_suffix(".json"), json.dumps(results, indent=2) + "\n")
        write_text_atomic(out.with_suffix(".md"), render(results))
        print(render(results))
