"""Fine-tune a summariser on the in-domain reports + faithful XSum rows, tracked in MLflow.

    metrics, objects = train(load_config(SummariserConfig, "training/configs/summariser/quick.yaml"))

Batches are drawn from the curated reports with probability ``mix.reports_share``, from the real train articles
with ``mix.real_share`` and otherwise from XSum rows 1-800 whose reference is faithful to its document
(``mix.xsum_min_faithfulness``); within a pool, batches are length-sorted. Every ``training.eval_every`` steps:
ROUGE and the failure checks on the real validation articles (early
stopping on ROUGE-L, best weights restored) and a checkpoint (``training.resume`` continues the step count). The
model is logged as a pyfunc, registered as ``accord-summariser`` and promoted to ``@champion`` only by a better
validation ROUGE-L. Mirrors :mod:`accord.classify.train`: ``train(cfg) -> (metrics, objects)``.
"""

from __future__ import annotations

import hashlib
import logging
import random
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import mlflow
import numpy as np
import pandas as pd

from accord import promotion, tracking
from accord.config import to_dict
from accord.data.datasets import real_summary_datasets, report_datasets, xsum_datasets
from accord.summarise.config import SummariserConfig
from accord.summarise.decoding import common_vocabulary
from accord.summarise.evaluate import samples_table
from accord.summarise.metrics import faithfulness, paired_difference, rouge, summary_report
from accord.summarise.model import NeuralSummariser

log = logging.getLogger("accord.summarise.train")
SAMPLE_ROWS = 30  # real validation articles shown in the run's samples table
GATE_ROWS_FILE = "gate/real_validation_rougeL.json"  # per-article ROUGE-L of the gate split: paired resamples later
GENERATION_KEYS = ("num_beams", "no_repeat_ngram_size", "max_new_tokens", "copy_constrained", "copy_words",
                   "copy_names", "copy_titles", "max_words", "no_repeat_words", "tidy", "sliced_head",
                   "copy_topics", "copy_lexicon", "copy_roles")


@dataclass
class TrainObjects:
    """What a training run made besides its metrics."""

    run_id: str
    version: str | None
    decision: promotion.GateDecision | None
    summariser: NeuralSummariser
    steps: int


@dataclass
class _State:
    """Where training stands: restored from a checkpoint on resume."""

    step: int = 0
    best_score: float = float("-inf")
    best_state: dict[str, Any] | None = None
    patience: int = 0
    best_eval: tuple[dict[str, float], list[str]] | None = None


def run_name(cfg: SummariserConfig) -> str:
    if cfg.run_name:
        return cfg.run_name
    base = Path(cfg.model.base_model).name or cfg.model.base_model
    return f"{cfg.model.family}-{base}-{cfg.profile}-s{cfg.seed}"


def batch_plan(pools: dict[str, list[int]], lengths: dict[str, list[int]], cfg: SummariserConfig) -> list[
        tuple[str, list[int]]]:
    """Deterministic list of ``(pool, row indices)`` for every step: pools drawn by ``mix.shares()`` (an empty pool's
    share goes to the others), batches length-sorted within buckets of 8 batches."""
    rng = random.Random(cfg.seed)
    size = cfg.training.batch_size
    queues: dict[str, list[list[int]]] = {name: [] for name in pools}

    def refill(name: str) -> None:
        idx = pools[name][:]
        rng.shuffle(idx)
        bucket = size * 8
        batches = []
        for start in range(0, len(idx), bucket):
            chunk = sorted(idx[start:start + bucket], key=lambda i: lengths[name][i])
            batches += [chunk[k:k + size] for k in range(0, len(chunk), size)]
        rng.shuffle(batches)
        queues[name] = batches

    plan = []
    shares = cfg.mix.shares()
    available = [name for name in pools if pools[name] and shares.get(name, 0) > 0] or \
        [name for name in pools if pools[name]]
    weights = [shares.get(name, 0) or 1.0 for name in available]
    for _ in range(cfg.training.max_steps):
        name = rng.choices(available, weights=weights)[0]
        if not queues[name]:
            refill(name)
        plan.append((name, queues[name].pop()))
    return plan


def _trainable_state(s: NeuralSummariser) -> dict[str, Any]:
    if s.m.family == "causal":
        from peft import get_peft_model_state_dict

        return {k: v.detach().cpu().clone() for k, v in get_peft_model_state_dict(s.model).items()}
    return {k: v.detach().cpu().clone() for k, v in s.model.state_dict().items()}


def _load_trainable_state(s: NeuralSummariser, state: dict[str, Any]) -> None:
    if s.m.family == "causal":
        from peft import set_peft_model_state_dict

        set_peft_model_state_dict(s.model, state)
    else:
        s.model.load_state_dict(state)


def validate(s: NeuralSummariser, docs: list[str], refs: list[str]) -> tuple[dict[str, float], list[str]]:
    """Summaries of the validation documents, their report (ROUGE, faithfulness, ...) and, where the config asks
    for it, the mean loss."""
    import torch

    preds = s.summarise(docs)
    report = summary_report(preds, refs, docs)
    if not s.config.training.validation_loss:
        return report, preds
    s.model.eval()
    size = s.config.training.batch_size
    with torch.inference_mode():
        losses = [float(s.loss(docs[i:i + size], refs[i:i + size])) for i in range(0, len(docs), size)]
    report["loss"] = sum(losses) / len(losses)
    return report, preds


def training_rows(cfg: SummariserConfig) -> tuple[dict[str, list[dict[str, str]]], list[dict[str, str]]]:
    """``(pools, validation rows)``: curated train reports, real train articles and faithful XSum rows 1-800;
    validation is the real validation articles (outlets not in train)."""
    reports, real, xsum = report_datasets(cfg.data), real_summary_datasets(cfg.data), xsum_datasets(cfg.data)
    xsum_rows = [r for r in xsum["train"].to_list()
                 if (faithfulness(r["summary"], r["document"]) or 1.0) >= cfg.mix.xsum_min_faithfulness]
    if cfg.mix.xsum_limit:
        xsum_rows = xsum_rows[: cfg.mix.xsum_limit]
    val = real["validation"].to_list()[: cfg.mix.val_limit or None]
    return {"reports": reports["train"].to_list(), "real": real["train"].to_list(), "xsum": xsum_rows}, val


class _Loop:
    """The optimiser, scheduler, plan and checkpoint of one training run."""

    def __init__(self, cfg: SummariserConfig, summ: NeuralSummariser, rows: dict[str, list[dict[str, str]]]) -> None:
        import torch
        from transformers import get_linear_schedule_with_warmup

        self.cfg, self.summ, self.rows = cfg, summ, rows
        t = cfg.training
        self.params = [p for p in summ.model.parameters() if p.requires_grad]
        self.optimiser = torch.optim.AdamW(self.params, lr=t.learning_rate, weight_decay=t.weight_decay)
        self.scheduler = get_linear_schedule_with_warmup(self.optimiser, t.warmup_steps, t.max_steps)
        self.plan = batch_plan({k: list(range(len(v))) for k, v in rows.items()},
                               {k: [len(r["document"]) for r in v] for k, v in rows.items()}, cfg)
        self.ckpt = Path(t.checkpoint_dir) / run_name(cfg)
        self.state = _State()

    def resume(self) -> None:
        import torch

        if not (self.cfg.training.resume and (self.ckpt / "last.pt").exists()):
            return
        saved = torch.load(self.ckpt / "last.pt", weights_only=False)
        _load_trainable_state(self.summ, saved["weights"])
        self.optimiser.load_state_dict(saved["optimiser"])
        self.scheduler.load_state_dict(saved["scheduler"])
        self.state = _State(saved["step"], saved["best_score"], saved.get("best"), saved["patience"])

    def step(self, step: int) -> float:
        import torch

        self.summ.model.train()
        pool, idx = self.plan[step]
        batch = [self.rows[pool][i] for i in idx]
        loss = self.summ.loss([b["document"] for b in batch], [b["summary"] for b in batch])
        loss.backward()
        torch.nn.utils.clip_grad_norm_(self.params, 1.0)
        self.optimiser.step()
        self.scheduler.step()
        self.optimiser.zero_grad()
        value = float(loss.detach())
        log.info("step %d/%d (%s) loss %.3f", step + 1, self.cfg.training.max_steps, pool, value)
        return value

    def checkpoint(self, step: int, report: dict[str, float], preds: list[str]) -> bool:
        """Keep the best weights, save ``last.pt``; True when early stopping says stop."""
        import torch

        st = self.state
        if report["rougeL"] > st.best_score:
            st.best_score, st.best_state, st.patience = report["rougeL"], _trainable_state(self.summ), 0
            st.best_eval = (report, preds)
        else:
            st.patience += 1
        self.ckpt.mkdir(parents=True, exist_ok=True)
        torch.save({"weights": _trainable_state(self.summ), "optimiser": self.optimiser.state_dict(),
                    "scheduler": self.scheduler.state_dict(), "step": step + 1, "best_score": st.best_score,
                    "patience": st.patience, "best": st.best_state}, self.ckpt / "last.pt")
        return st.patience > self.cfg.training.early_stopping_patience


def _run_steps(loop: _Loop, val_docs: list[str], val_refs: list[str]) -> int:
    """Train from the loop's step to the end (or early stop), validating every ``eval_every``; returns steps done."""
    t = loop.cfg.training
    started, running, count, done = time.perf_counter(), 0.0, 0, loop.state.step
    for step in range(loop.state.step, t.max_steps):
        loss = loop.step(step)
        running, count, done = running + loss, count + 1, step + 1
        mlflow.log_metric("step/train_loss", loss, step=step + 1)
        if (step + 1) % t.eval_every and step + 1 != t.max_steps:
            continue
        report, preds = validate(loop.summ, val_docs, val_refs)
        mlflow.log_metrics({"step/train_loss_mean": running / count,
                            **{f"step/real_validation_{k}": report[k] for k in ("loss", "rougeL", "rouge1", "rouge2",
                                                                                "clean_rate") if k in report},
                            "step/elapsed_s": time.perf_counter() - started}, step=step + 1)
        running, count = 0.0, 0
        loss = f", loss {report['loss']:.3f}" if "loss" in report else ""
        log.info("step %d real validation: ROUGE-L %.1f, clean %.0f%%%s", step + 1, report["rougeL"],
                 100 * report["clean_rate"], loss)
        if loop.checkpoint(step, report, preds):
            break
    return done


def _log_samples(val: list[dict[str, str]], preds: list[str]) -> None:
    """The real validation summaries beside their references, with each one's ROUGE-L and problems."""
    mlflow.log_table(samples_table(val[:SAMPLE_ROWS], preds[:SAMPLE_ROWS], "real-validation"),
                     "samples/validation.json")


def gate_data_digest(docs: list[str], refs: list[str]) -> str:
    """What a gate score was measured on: the validation documents and references, hashed."""
    text = "\n\x00".join(f"{d}\x01{r}" for d, r in zip(docs, refs, strict=True))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def champion_rescorer(docs: list[str], refs: list[str], new_rows: Any = None) -> promotion.Rescore:
    """The champion's validation ROUGE-L on today's rows: its recorded score where it was measured on the same rows,
    else measured again, so a champion chosen on an older, smaller validation split is compared fairly. With the
    newcomer's per-article scores (``new_rows``), also the share of article resamples the newcomer wins: the
    champion's own per-article scores are read from its run where recorded on the same rows, else measured."""
    digest = gate_data_digest(docs, refs)

    def rescore(uri: str) -> float | tuple[float, float, tuple[float, float]] | None:
        from mlflow import MlflowClient

        name, number = uri.removeprefix("models:/").split("/")
        version = MlflowClient().get_model_version(name, number)
        same_rows = version.tags.get(tracking.GATE_DATA_TAG) == digest
        if same_rows and new_rows is None and "gate.new_score" in version.tags:
            return float(version.tags["gate.new_score"])
        rows = _recorded_rows(version.run_id, len(docs)) if same_rows else None
        if rows is None:
            summariser = getattr(tracking.load_model(uri).unwrap_python_model(), "summariser", None)
            if summariser is None:
                return None
            rows = rouge(summariser.summarise(docs), refs)["rougeL"]
        score = float(np.mean(rows)) if len(rows) else 0.0
        if new_rows is None:
            return score
        paired = paired_difference(new_rows, rows)
        return score, paired["wins"], (paired["low"], paired["high"])
    return rescore


def _recorded_rows(run_id: str | None, n: int) -> Any:
    """The per-article gate scores a run logged (:data:`GATE_ROWS_FILE`), or ``None`` (none, or not ``n`` rows)."""
    from mlflow.exceptions import MlflowException

    if not run_id:
        return None
    try:
        rows = np.asarray(mlflow.artifacts.load_dict(f"runs:/{run_id}/{GATE_ROWS_FILE}")["rougeL"], dtype=float)
    except (MlflowException, OSError, KeyError, ValueError, TypeError):  # absent (older runs) or damaged
        return None
    return rows if rows.shape == (n,) else None


def _register(summ: NeuralSummariser, register: bool, val: tuple[list[str], list[str]], score: float, run_id: str,
              rows: Any = None) -> tuple[str | None, promotion.GateDecision | None]:
    from mlflow import MlflowClient

    from accord.pyfunc import log_summariser

    with tempfile.TemporaryDirectory() as tmp:
        saved = summ.save(Path(tmp) / "summariser")
        info = log_summariser(summ, tracking.SUMMARISER if register else None, val[0][:1], saved_dir=saved)
    if not (register and info.registered_model_version):
        return None, None
    version = str(info.registered_model_version)
    MlflowClient().set_model_version_tag(tracking.SUMMARISER, version, tracking.GATE_DATA_TAG,
                                         gate_data_digest(*val))
    return version, promotion.promote_if_better(tracking.SUMMARISER, version, score, run_id,
                                               rescore=champion_rescorer(*val, new_rows=rows))


def train(cfg: SummariserConfig, uri: str | None = None, register: bool = True
          ) -> tuple[dict[str, float], TrainObjects]:
    """Train, validate, checkpoint, log, register and gate one summariser; returns its metrics and what it made."""
    import torch

    tracking.setup(tracking.SUMMARISER, uri)
    rows, val = training_rows(cfg)
    val_docs, val_refs = [r["document"] for r in val], [r["summary"] for r in val]
    summ = NeuralSummariser(cfg).build()
    summ.common_ids = common_vocabulary(summ.tokenizer, [r["summary"] for part in rows.values() for r in part])
    device = "cuda" if torch.cuda.is_available() else "cpu"
    summ.model.to(device)
    loop = _Loop(cfg, summ, rows)
    loop.resume()
    start_step = loop.state.step
    with mlflow.start_run(run_name=run_name(cfg), log_system_metrics=True) as run:
        tracking.log_run_preamble("training", cfg.model.family, to_dict(cfg),
                                  {"accord.resumed_from_step": str(start_step)})
        mlflow.log_params({"train_reports": len(rows["reports"]), "train_real": len(rows["real"]),
                           "train_xsum_rows": len(rows["xsum"]), "device": device})
        for name, part in [*((f"{pool}-train", rows[pool]) for pool in rows), ("real-validation", val)]:
            df = pd.DataFrame([{"id": r["id"], "document": r["document"], "summary": r["summary"]} for r in part])
            tracking.log_dataframe_input(df, f"accord-{name}", name, targets="summary")
        started = time.perf_counter()
        steps_done = _run_steps(loop, val_docs, val_refs)
        train_time = time.perf_counter() - started
        if loop.state.best_state is not None:
            _load_trainable_state(summ, loop.state.best_state)
        summ.model.to("cpu")
        report, preds = loop.state.best_eval or validate(summ, val_docs, val_refs)  # resumed past the best: rescore
        metrics = {f"real_validation/{k}": v for k, v in report.items()}
        metrics |= {"time/train_s": train_time, "time/steps": float(steps_done),
                    "time/s_per_step": train_time / max(1, steps_done - start_step),
                    tracking.GATE_METRIC[tracking.SUMMARISER]: report["rougeL"]}
        mlflow.log_metrics(metrics)
        _log_samples(val, preds)
        mlflow.log_dict({k: getattr(cfg.generation, k) for k in GENERATION_KEYS}
                        | {"max_source_tokens": cfg.model.max_source_tokens, "prompt": cfg.model.prompt},
                        "generation.json")
        rows = rouge(preds, val_refs)["rougeL"]
        mlflow.log_dict({"rougeL": rows.tolist(), "digest": gate_data_digest(val_docs, val_refs)}, GATE_ROWS_FILE)
        version, decision = _register(summ, register, (val_docs, val_refs), report["rougeL"], run.info.run_id, rows)
        headline = (f"{cfg.model.family} {cfg.model.base_model} ({cfg.profile}, {steps_done} steps) on curated, real "
                    f"and XSum pairs. Real validation: ROUGE-L {report['rougeL']:.1f}, clean "
                    f"{100 * report['clean_rate']:.0f}% (no loop, no role error), faithfulness "
                    f"{report['faithfulness']:.2f}.")
        mlflow.set_tag(tracking.NOTE_TAG, headline)
        if version:
            promotion.describe_version(tracking.SUMMARISER, version, decision, headline)
        return metrics, TrainObjects(run.info.run_id, version, decision, summ, steps_done)
