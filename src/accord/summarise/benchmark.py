"""Summariser speed, one run, side by side: the decoders on the same articles, the cold start of each command, and
``accord classify --briefs`` end to end. The library behind ``accord benchmark summariser`` and
``evaluation/benchmark_summariser.py``.

    accord benchmark summariser --tracking-uri sqlite:////path/mlflow.db          # the full run (hours on 2 cores)
    accord benchmark summariser --articles 4 --briefs-articles 10 --briefs-modes article --cold-runs 1 \\
        --report-dir /tmp/bench                                                   # a smoke run (minutes)

- **Decoders**, each in a fresh process with the same registered summariser (same adapter), on the same articles:
  half short curated reports (the curated test split, topped up from validation then train), half long real ones
  (the real corpus's validation split). Naive ``generate`` (unconstrained greedy, full LM head), the constrained
  decoder on the full head (``sliced_head=False``, what briefs used before) and the sliced decoder (the default):
  articles/s, tokens/s (tokens of the summaries returned), peak RSS, and how many summaries equal the constrained
  full-head decoder's. One warm-up article first (tables, allocator), not counted.
- **Cold start** of ``accord classify`` (one sentence) and ``accord summarise`` (one two-sentence document): the first
  run into empty model and ONNX caches, then the median of warm runs; wall time and peak RSS of each process.
- **``accord classify --briefs``** on N articles resampled from the real corpus, once per ``--summaries`` mode, and
  as #13 found it (``before``: every category summarised by the full-head decoder, no agreement draws).
- ``--training``: the older rows, training seconds per step of each family.

Not a test: numbers depend on the machine and its load (the load average is recorded at the start and the end).
"""

from __future__ import annotations

import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import Any

from accord import paths, storage, tracking
from accord.config import load_config
from accord.data.datasets import DataConfig, load_real_corpus, real_summary_datasets, report_datasets
from accord.io import write_text_atomic
from accord.summarise.config import MINILM_WARMSTART, SummariserConfig
from accord.summarise.model import (
    DECODER_ENV,
    FAST_LOAD_ENV,
    REUSE_PROMPTS_ENV,
    NeuralSummariser,
    load_summariser,
)
from accord.summarise.tokenizer import CACHE_ENV as TOKENIZER_CACHE_ENV
from accord.summarise.tokenizer import PYTHON_BPE_ENV
from accord.system import gemm_note, machine_info

REPORT = "summariser_benchmark"  # evaluation/reports/<REPORT>.{json,md}
# the default's prompt passes and nothing after them: what any decoder of the same prompts on the same body pays
# before its first token, so no decoder of these inputs on this CPU can beat this row's articles/s
PROMPT_PASSES = "prompt passes only (a bound)"
# What each decoder changes in the model's saved generation settings (the rest, e.g. trigram blocking, is kept).
# "same rules" is the sliced head under the full head's rules (trigrams of the prompt banned too, as generate() does;
# a content word may repeat): its outputs check the slicing; the default also lets names be copied whole.
DECODERS = {
    "naive generate": {"copy_constrained": False, "copy_words": False, "sliced_head": False},
    "constrained, full head": {"sliced_head": False},
    "sliced, same rules": {"sliced_head": True, "no_repeat_words": False, "ngrams_in_prompt": True},
    "sliced, transformers body": {"sliced_head": True},
    "sliced, fp32": {"sliced_head": True, "bf16_prefill": False, "bf16_steps": False},
    "sliced, fp32 steps": {"sliced_head": True, "bf16_prefill": True, "bf16_steps": False},
    "sliced (default)": {"sliced_head": True, "bf16_prefill": True, "bf16_steps": True},
    "sliced, bf16 attention": {"sliced_head": True, "bf16_prefill": True, "bf16_steps": True, "bf16_attention": True},
    "sliced, bf16 KV cache": {"sliced_head": True, "bf16_prefill": True, "bf16_steps": True, "bf16_cache": True},
    "sliced, drafts of 3": {"sliced_head": True, "draft_tokens": 3},
    "sliced, int8": {"sliced_head": True, "int8": True},
    PROMPT_PASSES: {},
}
TRANSFORMERS_BODY = {"naive generate", "constrained, full head", "sliced, same rules", "sliced, transformers body"}
# decoders loaded through transformers + peft (FAST_LOAD off); the default loads through accord.summarise.gemma3
REFERENCE_DECODER = "constrained, full head"  # the outputs the others are compared with
OLD_LOAD = "accord summarise doc.txt (transformers + peft load)"  # the cold start before accord.summarise.gemma3
RUST_TOKENIZER = "accord summarise doc.txt (Rust tokenizer)"  # before accord.summarise.bpe
COLD_ENV = {OLD_LOAD: {FAST_LOAD_ENV: "0"}, RUST_TOKENIZER: {PYTHON_BPE_ENV: "0"}}  # what each variant turns off
ONE_SENTENCE = "The two sides agreed to expand trade and investment.\n"
ONE_DOCUMENT = ("HANOI — Vietnamese President Luong Cuong met Korean Speaker Woo Won-shik in Hanoi on Monday. The two "
                "leaders agreed to expand trade and defence cooperation.\n")


def benchmark_articles(n: int) -> list[dict[str, str]]:
    """``n`` articles: the first half short curated reports (test split, then validation, then train), the rest long
    real articles (the real corpus's validation split), each ``{"group", "id", "document"}``."""
    reports = report_datasets()
    curated = [r for split in ("test", "validation", "train") for r in reports[split]]
    real = list(real_summary_datasets()["validation"])
    short, long = n // 2, n - n // 2
    if short > len(curated) or long > len(real):
        raise ValueError(f"at most {2 * min(len(curated), len(real))} articles: {len(curated)} curated reports and "
                         f"{len(real)} real validation articles")
    return ([{"group": "short", "id": r["id"], "document": r["document"]} for r in curated[:short]]
            + [{"group": "long", "id": r["id"], "document": r["document"]} for r in real[:long]])


def neural_summariser(model: str, tracking_uri: str | None = None) -> NeuralSummariser:
    """The summariser behind a model URI (or a saved summariser folder); a baseline is refused."""
    if Path(model).is_dir():
        return load_summariser(model)
    inner = getattr(tracking.load_model(model, tracking_uri).unwrap_python_model(), "summariser", None)
    if not isinstance(inner, NeuralSummariser):
        raise ValueError(f"{model} is not a neural summariser (a baseline has no decoder to compare)")
    return inner


def decode_run(model: str, tracking_uri: str | None, decoder: str, articles_path: str) -> dict[str, Any]:
    """One decoder over the benchmark articles in this process: seconds and summary tokens per group, and the
    summaries."""
    summariser = neural_summariser(model, tracking_uri or None)
    summariser.g = replace(summariser.g, **DECODERS[decoder])
    run = partial(prompt_passes, summariser) if decoder == PROMPT_PASSES else summariser.summarise
    articles = [json.loads(line) for line in Path(articles_path).read_text(encoding="utf-8").splitlines()]
    start = time.perf_counter()
    run([articles[0]["document"]])
    out: dict[str, Any] = {"decoder": decoder, "warm_up_s": time.perf_counter() - start, "groups": {},
                           "summaries": {}}
    for group in ("short", "long"):
        docs = [a for a in articles if a["group"] == group]
        start = time.perf_counter()
        summaries = run([a["document"] for a in docs])
        seconds = time.perf_counter() - start
        tokens = sum(len(summariser.tokenizer(s, add_special_tokens=False)["input_ids"]) for s in summaries)
        out["groups"][group] = {"articles": len(docs), "seconds": seconds, "tokens": tokens}
        out["summaries"] |= {a["id"]: s for a, s in zip(docs, summaries, strict=True)}
    return out


def prompt_passes(summariser: NeuralSummariser, documents: list[str]) -> list[str]:
    """Only the prompt pass of each batch, the documents batched, tokenised and padded as the sliced decoder's
    ``summarise`` does (bf16 where it would be): no summary (``""`` each)."""
    import numpy as np
    import torch

    from accord.summarise.generate import parts, prompt_pass
    from accord.summarise.inference import left_padded

    body, head, cache_kw, accord_body = parts(summariser.model)
    order, step = np.argsort([len(d) for d in documents], kind="stable"), summariser.g.generate_batch_size
    bf16 = summariser.prepare_bf16()
    with torch.inference_mode(), torch.autocast(head.weight.device.type, dtype=torch.bfloat16, enabled=bf16):
        for start in range(0, len(documents), step):
            _, rows = summariser.encoded([documents[i] for i in order[start:start + step]])
            ids, mask = (t.to(head.weight.device) for t in left_padded(rows, summariser.tokenizer.pad_token_id))
            prompt_pass(body, cache_kw, accord_body, ids, mask, (mask.cumsum(-1) - 1).clamp(min=0))
    return [""] * len(documents)


_DECODE = ("import json, sys\nfrom accord.summarise.benchmark import decode_run\n"
           "print(json.dumps(decode_run(*sys.argv[1:])))")  # one decoder in a fresh process


# Runs the command under measurement from a small process: Linux starts a child's peak RSS at its parent's, so a
# command started straight from this (large) process would report at least this process's size
_MEASURE = """
import json, os, subprocess, sys, time
with open(sys.argv[1], "wb") as log:
    start = time.perf_counter()
    proc = subprocess.Popen(sys.argv[2:], stdout=log, stderr=subprocess.STDOUT)
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
print(json.dumps({"wall_s": time.perf_counter() - start, "peak_rss_mib": usage.ru_maxrss / 1024,
                  "exit": proc.returncode}))
"""


def child(cmd: list[str], env: dict[str, str], log: Path, what: str) -> dict[str, Any]:
    """Run ``cmd`` (stdout and stderr to ``log``): its wall seconds, its own peak RSS (MiB) and exit code; a failure
    raises ``RuntimeError`` naming ``what`` with the last lines it wrote."""
    measured = subprocess.run([sys.executable, "-c", _MEASURE, str(log), *cmd], env=env, capture_output=True,
                              text=True, check=True)
    row = json.loads(measured.stdout.strip().splitlines()[-1])
    if row["exit"]:
        tail = [x for x in log.read_text(encoding="utf-8", errors="replace").splitlines() if x.strip()][-3:]
        raise RuntimeError(f"{what} exited {row['exit']}: {' / '.join(tail)}")
    return row


def _env(work: Path, tracking_uri: str | None) -> dict[str, str]:
    """The benchmark's child environment: its own model, ONNX and tokenizer caches (empty at first), the store,
    offline."""
    return {**os.environ, "ACCORD_MODEL_CACHE": str(work / "model-cache"), "ACCORD_ONNX_CACHE": str(work / "onnx"),
            TOKENIZER_CACHE_ENV: str(work / "tokenizer-cache"),
            "MLFLOW_TRACKING_URI": storage.tracking_uri(tracking_uri), "HF_HUB_OFFLINE": "1"}


def decoder_rows(model: str, tracking_uri: str | None, articles: list[dict[str, str]], work: Path,
                 decoders: tuple[str, ...] = tuple(DECODERS)) -> dict[str, dict[str, Any]]:
    """Each of ``decoders`` (and the reference) in its own process on the same articles, in :data:`DECODERS`'
    order; each row compared with the reference decoder's."""
    src = work / "articles.jsonl"
    src.write_text("".join(json.dumps(a, ensure_ascii=False) + "\n" for a in articles), encoding="utf-8")
    rows = {}
    for name in [d for d in DECODERS if d in decoders or d == REFERENCE_DECODER]:
        log = work / f"decode-{len(rows)}.log"
        env = _env(work, tracking_uri) | ({FAST_LOAD_ENV: "0"} if name in TRANSFORMERS_BODY else {})
        run = child([sys.executable, "-c", _DECODE, model, tracking_uri or "", name, str(src)], env, log,
                    f"the {name} decoder")
        rows[name] = json.loads(log.read_text(encoding="utf-8").strip().splitlines()[-1]) | {
            "peak_rss_mib": run["peak_rss_mib"], "process_s": run["wall_s"]}
    reference = rows[REFERENCE_DECODER]["summaries"]
    for row in rows.values():
        row["same_as_reference"] = sum(row["summaries"][k] == v for k, v in reference.items())
        seconds = sum(g["seconds"] for g in row["groups"].values())
        row["articles_per_s"] = len(articles) / seconds
        row["tokens_per_s"] = sum(g["tokens"] for g in row["groups"].values()) / seconds
    return rows


def _command(*args: str) -> list[str]:
    return [sys.executable, "-m", "accord.cli", *args]


def cold_starts(tracking_uri: str | None, work: Path, runs: int) -> dict[str, dict[str, Any]]:
    """``accord --help``, ``accord classify`` of one sentence and ``accord summarise`` of one document: the first
    run into empty caches, then the median wall and the peak RSS of ``runs`` warm runs."""
    (work / "one.txt").write_text(ONE_SENTENCE, encoding="utf-8")
    (work / "doc.txt").write_text(ONE_DOCUMENT, encoding="utf-8")
    commands = {"accord --help": _command("--help"), "accord classify one.txt": _command(
        "classify", str(work / "one.txt"), "--quiet"), "accord summarise doc.txt": _command(
        "summarise", str(work / "doc.txt"), "--quiet")}
    for variant in COLD_ENV:
        commands[variant] = commands["accord summarise doc.txt"]
    out = {}
    for name, cmd in commands.items():
        env = _env(work, tracking_uri) | {FAST_LOAD_ENV: "1", PYTHON_BPE_ENV: "1"} | COLD_ENV.get(name, {})
        first = child(cmd, env, work / "cold.log", name)
        warm = [child(cmd, env, work / "cold.log", name) for _ in range(runs)]
        out[name] = {"first_run_s": first["wall_s"], "first_run_rss_mib": first["peak_rss_mib"],
                     "warm_s": statistics.median(r["wall_s"] for r in warm),
                     "warm_rss_mib": max(r["peak_rss_mib"] for r in warm), "runs": runs}
    return out


def resampled_articles(n: int, path: Path, seed: int = 13) -> Path:
    """A JSONL of ``n`` articles drawn with replacement from the real corpus (ids made unique)."""
    real = load_real_corpus(DataConfig())
    pool = sorted(real.articles.items())
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8") as fh:
        for i, (aid, article) in enumerate(rng.choices(pool, k=n)):
            fh.write(json.dumps({"id": f"{i:05d}-{aid}", "title": article.get("title") or "",
                                 "text": article["text"]}, ensure_ascii=False) + "\n")
    return path


OWN_PASS = " (draws run their own prompt pass)"  # the briefs row with REUSE_PROMPTS_ENV off, beside each mode
# Briefs rows besides the --summaries modes: (--summaries, more options, environment). "before" is the command as
# #13 found it: every category summarised (there was no --summaries), the constrained decoder on the full head loaded
# through transformers + PEFT, no agreement draws (they came later); "all-no-draws" is the same work today.
BRIEFS_VARIANTS = {
    "all-no-draws": ("all", ("--agreement-draws", "0"), {}),
    "article-no-draws": ("article", ("--agreement-draws", "0"), {}),  # the fastest briefs that still summarise
    "before": ("all", ("--agreement-draws", "0"),
               {DECODER_ENV: json.dumps(DECODERS[REFERENCE_DECODER]), FAST_LOAD_ENV: "0"}),
}
BRIEFS_ROWS = ("none", "article", "all", *BRIEFS_VARIANTS)  # what --briefs-modes may name


def _briefs_runs(mode: str) -> list[tuple[str, tuple[str, ...], dict[str, str]]]:
    """(label, command options, environment) of each run a briefs row asks for."""
    if mode in BRIEFS_VARIANTS:
        summaries, options, env = BRIEFS_VARIANTS[mode]
        return [(mode, ("--summaries", summaries, *options), env)]
    runs = [(mode, ("--summaries", mode), {})]
    return runs if mode == "none" else [*runs, (mode + OWN_PASS, ("--summaries", mode), {REUSE_PROMPTS_ENV: "0"})]


def briefs_rows(tracking_uri: str | None, work: Path, n: int, modes: tuple[str, ...]) -> list[dict[str, Any]]:
    """``accord classify --briefs`` end to end on ``n`` resampled real articles, once per row of ``modes`` (see
    ``BRIEFS_ROWS``); a ``--summaries`` mode that summarises runs again with the agreement draws' prompt passes not
    reused, for the side-by-side."""
    src = resampled_articles(n, work / "briefs-in.jsonl")
    rows = []
    for mode in modes:
        for k, (label, options, extra) in enumerate(_briefs_runs(mode)):
            briefs = work / f"briefs-{mode}-{k}.jsonl"
            run = child(_command("classify", str(src), "--out", str(work / "rows.jsonl"), "--briefs", str(briefs),
                                 *options, "--quiet"), _env(work, tracking_uri) | extra,
                        work / "briefs.log", f"accord classify --briefs {' '.join(options)} ({label})")
            got = [json.loads(line) for line in briefs.read_text(encoding="utf-8").splitlines()]
            summaries = sum(bool(b["summary"]) + len(b["category_summaries"]) for b in got)
            rows.append({"summaries": label, "articles": len(got), "summaries_written": summaries,
                         "articles_per_s": len(got) / run["wall_s"], **run})
    return rows


def run_benchmark(briefs_modes: tuple[str, ...], model: str = tracking.SUMMARISER_URI,
                  tracking_uri: str | None = None, articles: int = 50, briefs_articles: int = 1000,
                  cold_runs: int = 3, training: bool = False, decoders: tuple[str, ...] = tuple(DECODERS)
                  ) -> dict[str, Any]:
    """The ``decoders`` side by side (with the reference), cold starts, ``classify --briefs`` end to end for each
    of ``briefs_modes`` (values of ``--summaries``), and with ``training`` the training seconds per step."""
    chosen = benchmark_articles(articles)
    result: dict[str, Any] = {"machine": machine_info() | {"load_average_at_start": list(os.getloadavg())},
                              "model": model, "articles": {g: sum(a["group"] == g for a in chosen)
                                                           for g in ("short", "long")}}
    with tempfile.TemporaryDirectory(prefix="accord-bench-") as tmp:
        work = Path(tmp)
        result["decoders"] = decoder_rows(model, tracking_uri, chosen, work, decoders)
        result["cold_start"] = cold_starts(tracking_uri, work, cold_runs)
        result["briefs"] = briefs_rows(tracking_uri, work, briefs_articles, briefs_modes) if briefs_articles else []
    if training:
        result["families"] = training_rows()
    result["load_average_at_end"] = list(os.getloadavg())
    return result


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


def training_rows(steps: int = 5) -> dict[str, Any]:
    """Training seconds per step (batch of the quick profile) per family, from the untuned bases."""
    docs = report_datasets()["train"].to_list()
    quick = load_config(SummariserConfig, paths.CONFIGS_DIR / "summariser" / "quick.yaml")
    seq2seq = replace(quick, model=replace(quick.model, family="seq2seq", base_model=MINILM_WARMSTART))
    rows = {}
    for family, cfg in (("causal", quick), ("seq2seq", seq2seq)):
        times = _step_times(NeuralSummariser(cfg).build(), docs, steps)
        rows[family] = {"base_model": cfg.model.base_model, "batch_size": cfg.training.batch_size,
                        "max_source_tokens": cfg.model.max_source_tokens, "s_per_step": statistics.median(times)}
    return rows


def _decoder_table(result: dict[str, Any]) -> list[str]:
    n = result["articles"]
    lines = [f"Decoders on the same {n['short'] + n['long']} articles ({n['short']} short curated reports, "
             f"{n['long']} long real ones), each in a fresh process with `{result['model']}`; after one warm-up "
             "article. Same outputs: summaries equal to the constrained full-head decoder's.", "",
             "| decoder | articles/s | x constrained | short s/article | long s/article | tokens/s | peak RSS (MiB) "
             "| same outputs |", "|---|---|---|---|---|---|---|---|"]
    total = n["short"] + n["long"]
    reference = result["decoders"][REFERENCE_DECODER]["articles_per_s"]
    for name, r in result["decoders"].items():
        per = {g: r["groups"][g]["seconds"] / max(1, r["groups"][g]["articles"]) for g in ("short", "long")}
        lines.append(f"| {name} | {r['articles_per_s']:.2f} | {r['articles_per_s'] / reference:.2f} | "
                     f"{per['short']:.2f} | {per['long']:.2f} | {r['tokens_per_s']:.1f} | {r['peak_rss_mib']:.0f} | "
                     f"{r['same_as_reference']}/{total} |")
    return lines


def _briefs_table(rows: list[dict[str, Any]]) -> list[str]:
    """The briefs rows, each also as a multiple of the ``before`` row's articles/s where that row was run."""
    before = next((r["articles_per_s"] for r in rows if r["summaries"] == "before"), None)
    lines = ["`accord classify --briefs` end to end on articles resampled from the real corpus (warm caches):", "",
             "| --summaries | articles | summaries written | wall (s) | articles/s | x before | peak RSS (MiB) |",
             "|---|---|---|---|---|---|---|"]
    for r in rows:
        times = f"{r['articles_per_s'] / before:.1f}" if before else "-"
        lines.append(f"| {r['summaries']} | {r['articles']:,} | {r['summaries_written']:,} | {r['wall_s']:.1f} | "
                     f"{r['articles_per_s']:.2f} | {times} | {r['peak_rss_mib']:.0f} |")
    return lines


def render_markdown(result: dict[str, Any]) -> str:
    """The report: decoders, cold starts, briefs end to end (and training rows)."""
    m = result["machine"]
    lines = ["# Summariser benchmark", "",
             f"{m['cpus']} CPUs ({m['processor']}), torch {m.get('torch')}{gemm_note(m)}; load average "
             f"{m['load_average_at_start'][0]:.2f} at the start, {result['load_average_at_end'][0]:.2f} at the end.",
             "", *_decoder_table(result), "", "Cold start (wall time and peak RSS of the process):", "",
             "| command | first run, empty caches (s) | RSS (MiB) | warm, median (s) | RSS (MiB) |",
             "|---|---|---|---|---|"]
    for name, r in result["cold_start"].items():
        lines.append(f"| `{name}` | {r['first_run_s']:.2f} | {r['first_run_rss_mib']:.0f} | {r['warm_s']:.2f} "
                     f"(of {r['runs']}) | {r['warm_rss_mib']:.0f} |")
    if result["briefs"]:
        lines += ["", *_briefs_table(result["briefs"])]
    if result.get("families"):
        lines += ["", "| family | base | batch | source tokens | training s/step |", "|---|---|---|---|---|"]
        lines += [f"| {f} | {r['base_model']} | {r['batch_size']} | {r['max_source_tokens']} | {r['s_per_step']:.1f} |"
                  for f, r in result["families"].items()]
    return "\n".join(lines) + "\n"


def write_reports(result: dict[str, Any], out_dir: Path = paths.REPORTS_DIR) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    write_text_atomic(out_dir / f"{REPORT}.json", json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    write_text_atomic(out_dir / f"{REPORT}.md", render_markdown(result))
    return out_dir / f"{REPORT}.md"
