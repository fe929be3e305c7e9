"""Benchmark ``accord classify``'s engine: throughput vs the naive ``transformers.pipeline`` way, int8 quantisation,
peak RSS from small to large inputs. The library behind ``evaluation/benchmark_classify.py``.

    python evaluation/benchmark_classify.py --model models:/accord-classifier@champion --tracking-uri sqlite:///...

All in one process on one machine (the RSS runs in fresh subprocesses, measured with ``resource.getrusage``).
Sentences are the corpus's (``data/sentences.jsonl``), repeated to the size wanted. Not a test: numbers depend on
the machine and its load; the README quotes the latest report.
"""

from __future__ import annotations

import io
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from itertools import cycle, islice
from pathlib import Path
from typing import Any

import numpy as np

from accord import batch, paths
from accord.io import write_text_atomic

REPORT = paths.EVALUATION_DIR / "reports" / "classify_benchmark"
MAX_F1_LOSS = 0.01  # quantisation is kept only if it loses at most this much validation macro-F1


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


def engine_rate(predictor: batch.Predictor, input_path: Path) -> tuple[float, int]:
    """Sentences/s of the whole ``classify`` path (read, classify in chunks, write JSONL) over ``input_path``."""
    start = time.perf_counter()
    result = batch.classify([str(input_path)], predictor, io.StringIO(), unit="sentence")
    return result.sentences / (time.perf_counter() - start), result.sentences


def naive_rate(hf_dir: Path, texts: list[str]) -> tuple[float, np.ndarray]:
    """Sentences/s of ``transformers.pipeline(..., top_k=None)`` called once per sentence; also its scores."""
    from transformers import pipeline

    from accord.labels import LABELS

    pipe = pipeline("text-classification", model=str(hf_dir), tokenizer=str(hf_dir), top_k=None, device="cpu")
    pipe(texts[0])  # warm-up
    scores = np.zeros((len(texts), len(LABELS)))
    start = time.perf_counter()
    for i, text in enumerate(texts):
        out = pipe(text)
        for item in out[0] if out and isinstance(out[0], list) else out:
            scores[i, LABELS.index(item["label"])] = item["score"]
    return len(texts) / (time.perf_counter() - start), scores


def validation_macro_f1(predictor: batch.Predictor) -> float:
    from accord.dataset import classification_datasets
    from accord.labels import to_multi_hot
    from accord.metrics import multilabel_metrics

    val = classification_datasets()["validation"]
    y = np.array([to_multi_hot(x) for x in val["labels"]])
    _, labels = predictor(list(val["text"]))
    return float(multilabel_metrics(y, np.array([to_multi_hot(x) for x in labels]))["macro_f1"])


_RSS_SCRIPT = """
import io, json, resource, sys
from accord import batch
pred = batch.Predictor(batch.load_pyfunc(sys.argv[1], sys.argv[2] or None), quantize=sys.argv[4] == "1")
out = open(sys.argv[5], "w", encoding="utf-8")
r = batch.classify([sys.argv[3]], pred, out, unit="sentence")
hwm = next(int(x.split()[1]) for x in open("/proc/self/status") if x.startswith("VmHWM:"))
print(json.dumps({"sentences": r.sentences, "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "vm_hwm_mib": hwm / 1024}))
"""


def peak_rss(model_uri: str, tracking_uri: str | None, n: int, quantize: bool, work: Path) -> dict[str, Any]:
    """Peak RSS (MiB) of a fresh process that classifies ``n`` sentences from a JSONL file to a JSONL file."""
    src = write_sentences(work / f"rss-{n}.jsonl", n)
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", _RSS_SCRIPT, model_uri, tracking_uri or "", str(src),
                           "1" if quantize else "0", str(work / f"rss-{n}.out.jsonl")],
                          capture_output=True, text=True, check=True)
    row = json.loads(proc.stdout.strip().splitlines()[-1])
    row["wall_s"] = time.perf_counter() - start
    return row


def find_hf_dir(model_uri: str, work: Path) -> Path:
    """Download the registered model and return its fine-tuned Hugging Face folder."""
    import mlflow

    local = Path(mlflow.artifacts.download_artifacts(artifact_uri=model_uri, dst_path=str(work / "model")))
    found = sorted(local.rglob("hf/config.json"))
    if not found:
        raise ValueError(f"{model_uri} is not a MiniLM classifier (no hf/ folder)")
    return found[0].parent


def run_benchmark(model_uri: str = batch.DEFAULT_MODEL, tracking_uri: str | None = None, n_speed: int = 1000,
                  rss_sizes: tuple[int, ...] = (1000, 100_000), extra_rss_model: str | None = None,
                  extra_rss_sizes: tuple[int, ...] = ()) -> dict[str, Any]:
    """Throughput (engine fp32 and int8 vs naive), validation macro-F1 of both, peak RSS per input size.

    ``extra_rss_model``: a second (faster) model whose peak RSS is measured too, for sizes the MiniLM cannot reach
    in reasonable time on a small machine.
    """
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        # RSS first, while this process is small: Linux starts a child's ru_maxrss at its parent's high-water mark
        rss = [{"model": model_uri, "quantised": False, **peak_rss(model_uri, tracking_uri, n, False, work)}
               for n in rss_sizes]
        if extra_rss_model:
            rss += [{"model": extra_rss_model, "quantised": False,
                     **peak_rss(extra_rss_model, tracking_uri, n, False, work)} for n in extra_rss_sizes]
        import torch

        model = batch.load_pyfunc(model_uri, tracking_uri)
        fp32 = batch.Predictor(model)
        if fp32.classifier is None or getattr(fp32.classifier, "family", "") != "minilm":
            raise ValueError(f"{model_uri} is not a MiniLM classifier")
        texts = corpus_sentences(n_speed)
        src = write_sentences(work / "speed.jsonl", n_speed)
        result: dict[str, Any] = {
            "machine": {"cpus": os.cpu_count(), "torch_threads": torch.get_num_threads(),
                        "processor": platform.processor() or platform.machine(),
                        "python": platform.python_version(), "torch": torch.__version__,
                        "load_average_at_start": list(os.getloadavg())},
            "model_uri": model_uri, "speed_sentences": n_speed,
        }
        engine_rate(fp32, write_sentences(work / "warm.jsonl", 64))  # warm-up
        fp32_rate, _ = engine_rate(fp32, src)
        fp32_f1 = validation_macro_f1(fp32)
        fp32_probs, _ = fp32(texts)
        naive, naive_probs = naive_rate(find_hf_dir(model_uri, work), texts)
        int8 = batch.Predictor(batch.load_pyfunc(model_uri, tracking_uri), quantize=True)
        engine_rate(int8, work / "warm.jsonl")
        int8_rate, _ = engine_rate(int8, src)
        int8_f1 = validation_macro_f1(int8)
        keep = int8_rate > fp32_rate and fp32_f1 - int8_f1 <= MAX_F1_LOSS
        result["throughput"] = {"naive_pipeline_per_sentence": naive, "engine_fp32": fp32_rate,
                                "engine_int8": int8_rate, "speedup_fp32_vs_naive": fp32_rate / naive,
                                "speedup_int8_vs_naive": int8_rate / naive}
        result["naive_vs_engine_max_abs_score_diff"] = float(np.abs(naive_probs - fp32_probs).max())
        result["quantisation"] = {"validation_macro_f1_fp32": fp32_f1, "validation_macro_f1_int8": int8_f1,
                                  "f1_loss": fp32_f1 - int8_f1, "kept": keep}
        result["peak_rss"] = rss
    return result


def render_markdown(result: dict[str, Any]) -> str:
    m, t, q = result["machine"], result["throughput"], result["quantisation"]
    lines = [
        "# `accord classify` benchmark",
        "",
        f"Machine: {m['cpus']} CPUs ({m['processor']}), torch {m['torch']} with {m['torch_threads']} threads, "
        f"Python {m['python']}; load average at start {m['load_average_at_start'][0]:.1f}. Model "
        f"`{result['model_uri']}` (fine-tuned MiniLM). {result['speed_sentences']:,} corpus sentences, same for "
        "every row.",
        "",
        "| how | sentences/s | vs naive |",
        "|---|---|---|",
        f"| naive: `transformers.pipeline(top_k=None)`, one sentence per call | {t['naive_pipeline_per_sentence']:.1f}"
        " | 1.0× |",
        f"| `accord classify` engine, fp32 | {t['engine_fp32']:.1f} | {t['speedup_fp32_vs_naive']:.1f}× |",
        f"| `accord classify` engine, int8 dynamic quantisation | {t['engine_int8']:.1f} | "
        f"{t['speedup_int8_vs_naive']:.1f}× |",
        "",
        f"Validation macro-F1: fp32 {q['validation_macro_f1_fp32']:.4f}, int8 {q['validation_macro_f1_int8']:.4f} "
        f"(loss {q['f1_loss']:+.4f}). int8 {'kept' if q['kept'] else 'not kept'} (rule: faster and loses ≤ "
        f"{MAX_F1_LOSS} macro-F1). Largest score difference naive vs engine: "
        f"{result['naive_vs_engine_max_abs_score_diff']:.1e}.",
        "",
        "Peak RSS of a fresh `classify` process (`--unit sentence`, JSONL in and out, fp32): `ru_maxrss` from "
        "`resource.getrusage` and the kernel's `VmHWM`:",
        "",
        "| model | sentences | peak RSS, getrusage (MiB) | VmHWM (MiB) | wall (s) |",
        "|---|---|---|---|---|",
    ]
    for row in result["peak_rss"]:
        model = f"`{row['model']}`" + (" int8" if row["quantised"] else "")
        lines.append(f"| {model} | {row['sentences']:,} | {row['peak_rss_mib']:.0f} | {row['vm_hwm_mib']:.0f} | "
                     f"{row['wall_s']:.0f} |")
    return "\n".join(lines) + "\n"


def write_reports(result: dict[str, Any], stem: Path = REPORT) -> Path:
    stem.parent.mkdir(parents=True, exist_ok=True)
    write_text_atomic(stem.with_suffix(".json"), json.dumps(result, indent=2) + "\n")
    write_text_atomic(stem.with_suffix(".md"), render_markdown(result))
    return stem.with_suffix(".md")
