"""Benchmark ``accord classify``'s engine: throughput of every backend (torch / ONNX Runtime, fp32 / int8) vs the
naive way (the registered model through MLflow, one sentence per call), validation macro-F1 of each, peak RSS from
small to large inputs, and whole processes. The library behind ``evaluation/benchmark_classify.py``.

    python evaluation/benchmark_classify.py --model models:/accord-classifier@champion --tracking-uri sqlite:///...

All in one process on one machine (the RSS runs in fresh subprocesses, measured with ``resource.getrusage``).
Sentences are the corpus's (``data/sentences.jsonl``), repeated to the size wanted. Not a test: numbers depend on
the machine and its load; the README quotes the latest report.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import tempfile
import time
from itertools import cycle, islice
from pathlib import Path
from typing import Any

import numpy as np

from accord import paths, storage, tracking
from accord.batch.classify import classify
from accord.classify.onnx import CACHE_ENV, PRECISIONS, encoder_type
from accord.classify.predictor import DEFAULT_PRECISION, DEFAULT_RUNTIME, RUNTIMES, TORCH_PRECISIONS, Predictor
from accord.io import write_text_atomic
from accord.summarise.benchmark import child
from accord.system import gemm_note, machine_info

REPORT = paths.REPORTS_DIR / "classify_benchmark"
MAX_F1_LOSS = 0.01  # a backend may be the default only if it loses at most this much validation macro-F1
BACKENDS = (*((runtime, precision) for runtime in RUNTIMES for precision in PRECISIONS),
            *(("torch", precision) for precision in TORCH_PRECISIONS))


def corpus_sentences(n: int) -> list[str]:
    """``n`` sentences: the corpus's, repeated in order."""
    texts = [json.loads(line)["text"] for line in paths.SENTENCES_FILE.read_text(encoding="utf-8").splitlines()
             if line.strip()]
    return list(islice(cycle(texts), n))


def write_sentences(path: Path, n: int) -> Path:
    """A JSONL input of ``n`` corpus sentences (``--unit sentence``)."""
    with path.open("w", encoding="utf-8") as fh:
        for i, text in enumerate(corpus_sentences(n)):
            fh.write(json.dumps({"article_id": f"a{i // 20}", "text": text}, ensure_ascii=False) + "\n")
    return path


def engine_rate(predictor: Predictor, input_path: Path) -> tuple[float, int]:
    """Sentences/s of the whole ``classify`` path (read, classify in chunks, write JSONL) over ``input_path``."""
    start = time.perf_counter()
    result = classify([str(input_path)], predictor, io.StringIO(), unit="sentence")
    return result.sentences / (time.perf_counter() - start), result.sentences


def naive_rate(model: Any, texts: list[str]) -> tuple[float, np.ndarray]:
    """Sentences/s of the registered model as MLflow serves it (``pyfunc.predict``), one sentence per call, torch
    fp32; also its scores. (The fine-tuned MiniLM's head is mean pooling plus a linear layer, which
    ``transformers.pipeline`` cannot load: a pipeline would score with a random head.)"""
    from accord.pyfunc import SCORE_COLUMNS

    model.predict([texts[0]])  # warm-up
    scores = np.zeros((len(texts), len(SCORE_COLUMNS)))
    start = time.perf_counter()
    for i, text in enumerate(texts):
        scores[i] = model.predict([text])[list(SCORE_COLUMNS)].to_numpy()[0]
    return len(texts) / (time.perf_counter() - start), scores


def validation_macro_f1(predictor: Predictor) -> float:
    from accord.classify.metrics import multilabel_metrics
    from accord.data.datasets import GATE_SPLIT, classification_datasets
    from accord.labels import to_multi_hot

    val = classification_datasets()[GATE_SPLIT]
    y = np.array([to_multi_hot(x) for x in val["labels"]])
    _, labels = predictor(list(val["text"]))
    return float(multilabel_metrics(y, np.array([to_multi_hot(x) for x in labels]))["macro_f1"])


_RSS_SCRIPT = """
import io, json, resource, sys
from accord import tracking
from accord.batch.classify import classify
from accord.classify.predictor import Predictor
pred = Predictor(tracking.load_model(sys.argv[1], sys.argv[2] or None))  # the default runtime and precision
out = open(sys.argv[4], "w", encoding="utf-8")
r = classify([sys.argv[3]], pred, out, unit="sentence")
hwm = next(int(x.split()[1]) for x in open("/proc/self/status") if x.startswith("VmHWM:"))
print(json.dumps({"sentences": r.sentences, "backend": pred.backend,
                  "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "vm_hwm_mib": hwm / 1024}))
"""


def peak_rss(model_uri: str, tracking_uri: str | None, n: int, work: Path) -> dict[str, Any]:
    """Peak RSS (MiB) of a fresh process that classifies ``n`` sentences from a JSONL file to a JSONL file, with
    ``accord classify``'s default runtime and precision (an ONNX export is cached in ``work`` first)."""
    src = write_sentences(work / f"rss-{n}.jsonl", n)
    env = {**os.environ, CACHE_ENV: str(work / "onnx-cache")}
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", _RSS_SCRIPT, model_uri, tracking_uri or "", str(src),
                           str(work / f"rss-{n}.out.jsonl")], capture_output=True, text=True, env=env)
    if proc.returncode:
        last = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        raise RuntimeError(f"the peak-RSS process exited {proc.returncode}: {last}")
    row = json.loads(proc.stdout.strip().splitlines()[-1])
    row["wall_s"] = time.perf_counter() - start
    return row


# The naive way as a whole process: the registered model through MLflow, one sentence per call, JSONL out
_NAIVE_PROCESS = """
import json, sys
import mlflow
model = mlflow.pyfunc.load_model(sys.argv[1])
with open(sys.argv[2], encoding="utf-8") as src, open(sys.argv[3], "w", encoding="utf-8") as out:
    for line in src:
        row = model.predict([json.loads(line)["text"]]).iloc[0]
        out.write(json.dumps({"labels": list(row["labels"])}) + "\\n")
"""


def whole_process(model_uri: str, tracking_uri: str | None, n: int, work: Path, int8: bool = True
                  ) -> dict[str, Any]:
    """Wall seconds of a whole ``accord classify --unit sentence`` process on ``n`` sentences (start-up, model
    lookup and loading included) against a whole naive process (MLflow, one sentence per call) on the same file,
    and (``int8``) the same ``accord classify`` at ``--precision int8``; each run once untimed first (warm file and
    model caches), then timed."""
    src, out = write_sentences(work / f"whole-{n}.jsonl", n), work / "whole-out.jsonl"
    env = {**os.environ, CACHE_ENV: str(work / "onnx-cache"),
           "MLFLOW_TRACKING_URI": storage.tracking_uri(tracking_uri)}
    accord_cmd = [sys.executable, "-m", "accord.cli", "classify", str(src), "--unit", "sentence", "--model",
                  model_uri, "--out", str(out), "--quiet"]
    commands = {"accord": accord_cmd, "naive": [sys.executable, "-c", _NAIVE_PROCESS, model_uri, str(src), str(out)]}
    if int8:
        commands["accord_int8"] = [*accord_cmd, "--precision", "int8"]
    times = {}
    for name, cmd in commands.items():
        for _ in range(2):  # the second run is the one timed
            times[name] = child(cmd, env, work / f"whole-{name}.log", f"the {name} process")["wall_s"]
    result = {"sentences": n, "accord_s": times["accord"], "naive_s": times["naive"],
              "speedup": times["naive"] / times["accord"]}
    if int8:
        result |= {"accord_int8_s": times["accord_int8"], "speedup_int8": times["naive"] / times["accord_int8"]}
    return result


def backend_name(runtime: str, precision: str) -> str:
    return f"{runtime} {precision}"


def _predictors(model_uri: str, tracking_uri: str | None, backends: tuple[tuple[str, str], ...], work: Path
                ) -> tuple[dict[str, Predictor], dict[str, dict[str, Any]]]:
    """One warmed-up predictor per backend, with its preparation time and validation macro-F1."""
    warm = write_sentences(work / "warm.jsonl", 64)
    predictors: dict[str, Predictor] = {}
    rows: dict[str, dict[str, Any]] = {}
    for runtime, precision in backends:
        start = time.perf_counter()
        pred = Predictor(tracking.load_model(model_uri, tracking_uri), runtime, precision, cache_dir=work / "onnx")
        kind = _minilm_kind(pred)
        if kind is None:
            raise ValueError(f"{model_uri} is not a MiniLM classifier or an ensemble of MiniLMs")
        if runtime == "onnx" and "onnx" not in pred.backend.split():
            continue  # ONNX Runtime cannot serve this base (a Gemma body runs in torch): its rows are torch's
        name = backend_name(runtime, precision)
        predictors[name] = pred
        rows[name] = {"runtime": runtime, "precision": precision, "prepare_s": time.perf_counter() - start,
                      "rates": [], "validation_macro_f1": validation_macro_f1(pred)}
        engine_rate(pred, warm)
    return predictors, rows


def _minilm_kind(pred: Predictor) -> str | None:
    """"minilm", "ensemble" (of MiniLM-family members, on any base: what the predictor names "ensemble of N
    minilm ...") or None: what the benchmark takes."""
    if pred.backend.startswith("ensemble of"):
        return "ensemble"
    return "minilm" if getattr(pred.classifier, "family", "") == "minilm" else None


def _model_kind(predictors: dict[str, Predictor]) -> str:
    """"fine-tuned MiniLM", "ensemble of 3 fine-tuned MiniLMs" or, on another base, its type ("fine-tuned
    gemma3_text encoder"), for the report."""
    members = max((getattr(p.classifier, "members", []) for p in predictors.values()), key=len, default=[])
    if members:
        types = sorted({encoder_type(m) for m in members} - {"bert"})
        return f"ensemble of {len(members)} fine-tuned MiniLMs" if not types else \
            f"ensemble of {len(members)} fine-tuned encoders ({', '.join(['bert', *types])})"
    types = {encoder_type(p.classifier) for p in predictors.values()} - {"bert"}
    return f"fine-tuned {'/'.join(sorted(types))} encoder" if types else "fine-tuned MiniLM"


def _compare(rows: dict[str, dict[str, Any]], probs: dict[str, np.ndarray], ref_probs: np.ndarray, naive: float
             ) -> str | None:
    """Fill each row's speed-up, score difference and F1 loss vs torch fp32; returns the fastest within the rule."""
    ref_name = backend_name("torch", "fp32")
    ref_f1 = rows[ref_name]["validation_macro_f1"] if ref_name in rows else None
    for name, row in rows.items():
        row["sentences_per_s"] = max(row["rates"])
        row["speedup_vs_naive"] = row["sentences_per_s"] / naive
        row["max_abs_score_diff_vs_torch_fp32"] = float(np.abs(probs[name] - ref_probs).max())
        row["f1_loss"] = None if ref_f1 is None else ref_f1 - row["validation_macro_f1"]
        row["within_rule"] = row["f1_loss"] is not None and row["f1_loss"] <= MAX_F1_LOSS
        row["default"] = name == backend_name(DEFAULT_RUNTIME, DEFAULT_PRECISION)
    return max((n for n, r in rows.items() if r["within_rule"]), key=lambda n: rows[n]["sentences_per_s"],
               default=None)


def run_benchmark(model_uri: str = tracking.CLASSIFIER_URI, tracking_uri: str | None = None, n_speed: int = 1000,
                  rss_sizes: tuple[int, ...] = (1000, 100_000), extra_rss_model: str | None = None,
                  extra_rss_sizes: tuple[int, ...] = (), rounds: int = 3,
                  backends: tuple[tuple[str, str], ...] = BACKENDS, whole_sentences: int = 4000) -> dict[str, Any]:
    """Throughput of every backend (runtime x precision) vs naive, validation macro-F1 of each, peak RSS per size.

    Speed rows are measured in ``rounds`` interleaved rounds (naive, then every backend, same sentences) and the
    best round of each is reported, so a load change on the machine hits every row alike. ONNX exports go to a
    fresh cache in a temp folder, so their one-off cost (``prepare_s``) is measured too. ``extra_rss_model``: a
    second (faster) model whose peak RSS is measured too, for sizes the MiniLM cannot reach in reasonable time.
    ``whole_sentences``: sentences for the whole-process row (start-up included; 0 skips it).
    """
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        # RSS first, while this process is small: Linux starts a child's ru_maxrss at its parent's high-water mark.
        # A first tiny run exports the default backend (if it is ONNX), so no measured run includes the export.
        peak_rss(model_uri, tracking_uri, 10, work)
        rss = [{"model": model_uri, **peak_rss(model_uri, tracking_uri, n, work)} for n in rss_sizes]
        rss += [{"model": extra_rss_model, **peak_rss(extra_rss_model, tracking_uri, n, work)}
                for n in (extra_rss_sizes if extra_rss_model else ())]
        import onnxruntime

        texts = corpus_sentences(n_speed)
        src = write_sentences(work / "speed.jsonl", n_speed)
        predictors, rows = _predictors(model_uri, tracking_uri, backends, work)
        naive_model = tracking.load_model(model_uri, tracking_uri)
        result: dict[str, Any] = {
            "machine": machine_info() | {"onnxruntime": onnxruntime.__version__,
                                         "load_average_at_start": list(os.getloadavg())},
            "model_uri": model_uri, "speed_sentences": n_speed, "rounds": rounds,
            "model_kind": _model_kind(predictors),
        }
        naive_rates, naive_probs = [], None
        for _ in range(rounds):
            rate, naive_probs = naive_rate(naive_model, texts)
            naive_rates.append(rate)
            for name, pred in predictors.items():
                rows[name]["rates"].append(engine_rate(pred, src)[0])
        result["load_average_at_end"] = list(os.getloadavg())
        probs = {name: pred(texts)[0] for name, pred in predictors.items()}
        ref_probs = probs.get(backend_name("torch", "fp32"), naive_probs)
        result["fastest_within_rule"] = _compare(rows, probs, ref_probs, max(naive_rates))
        result |= {"naive": {"sentences_per_s": max(naive_rates), "rates": naive_rates}, "backends": rows,
                   "default_backend": backend_name(DEFAULT_RUNTIME, DEFAULT_PRECISION),
                   "naive_vs_torch_fp32_max_abs_score_diff": float(np.abs(naive_probs - ref_probs).max()),
                   "peak_rss": rss}
        if whole_sentences:
            result["whole_process"] = whole_process(model_uri, tracking_uri, whole_sentences, work)
    return result


def render_markdown(result: dict[str, Any]) -> str:
    m, rows = result["machine"], result["backends"]
    fastest, default = result["fastest_within_rule"], result["default_backend"]
    labels = {"torch fp32": "torch, fp32", "torch int8": "torch, int8 dynamic quantisation (per-tensor)",
              "onnx fp32": "ONNX Runtime, fp32 (fused graph)",
              "onnx int8": "ONNX Runtime, int8 dynamic quantisation (per-channel)"}
    lines = [
        "# `accord classify` benchmark",
        "",
        f"Machine: {m['cpus']} CPUs ({m['processor']}), {m['threads']} threads, torch {m['torch']}, onnxruntime "
        f"{m['onnxruntime']}, Python {m['python']}{gemm_note(m)}; load average "
        f"{m['load_average_at_start'][0]:.1f} at the start of the speed rounds, "
        f"{result['load_average_at_end'][0]:.1f} at the end. Model `{result['model_uri']}` "
        f"({result.get('model_kind', 'fine-tuned MiniLM')}). {result['speed_sentences']:,} corpus sentences, same "
        f"for every row; best of {result['rounds']} interleaved rounds (every round runs every row).",
        "",
        "| how | sentences/s | vs naive | validation macro-F1 | loss vs torch fp32 | max score diff |",
        "|---|---|---|---|---|---|",
        f"| naive: the registered model through `mlflow.pyfunc`, torch fp32, one sentence per call | "
        f"{result['naive']['sentences_per_s']:.1f} | 1.0× | | | "
        f"{result['naive_vs_torch_fp32_max_abs_score_diff']:.1e} |",
    ]
    for name, r in rows.items():
        mark = " **(default)**" if r["default"] else ""
        loss = "" if r["f1_loss"] is None else f"{r['f1_loss']:+.4f}" + ("" if r["within_rule"] else " ✗")
        lines.append(f"| `accord classify --runtime {r['runtime']} --precision {r['precision']}`: "
                     f"{labels.get(name, name)}{mark} | {r['sentences_per_s']:.1f} | {r['speedup_vs_naive']:.1f}× | "
                     f"{r['validation_macro_f1']:.4f} | {loss} | {r['max_abs_score_diff_vs_torch_fp32']:.1e} |")
    lines += [
        "",
        f"Rule: a backend may be the default if it loses at most {MAX_F1_LOSS} validation macro-F1 against torch fp32 "
        "(✗: loses more). Fastest within the rule: "
        + (f"`{fastest}` ({rows[fastest]['speedup_vs_naive']:.1f}× naive)" if fastest else "none")
        + f"; `accord classify`'s default: `{default}`"
        + ("." if fastest in (None, default) else " (differs from the fastest within the rule in this run).")
        + " One-off preparation per backend (load, plus the ONNX export/quantisation into an empty cache): "
        + ", ".join(f"{n} {r['prepare_s']:.1f} s" for n, r in rows.items()) + ".",
        "",
        f"Peak RSS of a fresh `classify` process (`--unit sentence`, JSONL in and out, default backend "
        f"`{default}`, export already cached): `ru_maxrss` from `resource.getrusage` and the kernel's `VmHWM`:",
        "",
        "| model | backend | sentences | peak RSS, getrusage (MiB) | VmHWM (MiB) | wall (s) |",
        "|---|---|---|---|---|---|",
    ]
    for row in result["peak_rss"]:
        lines.append(f"| `{row['model']}` | {row.get('backend', '')} | {row['sentences']:,} | "
                     f"{row['peak_rss_mib']:.0f} | {row['vm_hwm_mib']:.0f} | {row['wall_s']:.0f} |")
    return "\n".join(lines + _whole_lines(result.get("whole_process"))) + "\n"


def _whole_lines(whole: dict[str, Any] | None) -> list[str]:
    if not whole:
        return []
    int8 = (f"; with `--precision int8` {whole['accord_int8_s']:.1f} s: **{whole['speedup_int8']:.1f}×**"
            if "accord_int8_s" in whole else "")
    return ["", f"Whole processes on {whole['sentences']:,} sentences (start-up, model lookup and load included; warm "
            f"caches): `accord classify --unit sentence` {whole['accord_s']:.1f} s, a naive process "
            f"{whole['naive_s']:.1f} s: **{whole['speedup']:.1f}×**{int8}."]


def write_reports(result: dict[str, Any], stem: Path = REPORT) -> Path:
    stem.parent.mkdir(parents=True, exist_ok=True)
    write_text_atomic(stem.with_suffix(".json"), json.dumps(result, indent=2) + "\n")
    write_text_atomic(stem.with_suffix(".md"), render_markdown(result))
    return stem.with_suffix(".md")
