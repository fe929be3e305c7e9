"""Fine-tune a summariser on the in-domain reports + faithful XSum rows, tracked in MLflow.

    python training/train_summariser.py -c training/configs/summariser/quick.yaml
    python training/train_summariser.py -c training/configs/summariser/full.yaml --resume

Batches are drawn from the in-domain reports with probability ``reports_share`` and otherwise from XSum rows 1-800
whose reference is faithful to its document (``xsum_min_faithfulness``); within a pool, batches are length-sorted.
Every ``eval_every`` steps: validation ROUGE on the in-domain validation reports (early stopping on ROUGE-L, best
weights restored) and a checkpoint (``--resume`` continues the step count). The model is logged as a pyfunc,
registered as ``accord-summariser`` and promoted to ``@champion`` only by a better validation ROUGE-L.
"""

from __future__ import annotations

import logging
import random
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import mlflow
import pandas as pd
import yaml

from accord import tracking
from accord.dataset import DataConfig, report_datasets, xsum_datasets
from accord.summariser import NeuralSummariser, SummariserConfig, common_vocabulary
from accord.summary_metrics import faithfulness, summary_report

log = logging.getLogger("accord.summarise_train")


@dataclass
class SummariserResult:
    run_id: str
    version: str | None
    decision: tracking.GateDecision | None
    metrics: dict[str, float]
    summariser: NeuralSummariser
    steps: int


def run_name(cfg: SummariserConfig) -> str:
    if cfg.run_name:
        return cfg.run_name
    base = Path(cfg.base_model).name or cfg.base_model
    return f"{cfg.family}-{base}-{cfg.profile}-s{cfg.seed}"


def batch_plan(pools: dict[str, list[int]], lengths: dict[str, list[int]], cfg: SummariserConfig) -> list[
        tuple[str, list[int]]]:
    """Deterministic list of ``(pool, row indices)`` for every step: pools mixed by ``reports_share``, batches
    length-sorted within buckets of 8 batches."""
    rng = random.Random(cfg.seed)
    queues: dict[str, list[list[int]]] = {name: [] for name in pools}

    def refill(name: str) -> None:
        idx = pools[name][:]
        rng.shuffle(idx)
        bucket = cfg.batch_size * 8
        batches = []
        for start in range(0, len(idx), bucket):
            chunk = sorted(idx[start:start + bucket], key=lambda i: lengths[name][i])
            batches += [chunk[k:k + cfg.batch_size] for k in range(0, len(chunk), cfg.batch_size)]
        rng.shuffle(batches)
        queues[name] = batches

    plan = []
    available = [name for name in pools if pools[name]]
    for _ in range(cfg.max_steps):
        name = "reports" if "reports" in available and (rng.random() < cfg.reports_share or len(available) == 1) \
            else next(n for n in available if n != "reports")
        if not queues[name]:
            refill(name)
        plan.append((name, queues[name].pop()))
    return plan


def _trainable_state(s: NeuralSummariser) -> dict[str, Any]:
    if s.config.family == "causal":
        from peft import get_peft_model_state_dict

        return {k: v.detach().cpu().clone() for k, v in get_peft_model_state_dict(s.model).items()}
    return {k: v.detach().cpu().clone() for k, v in s.model.state_dict().items()}


def _load_trainable_state(s: NeuralSummariser, state: dict[str, Any]) -> None:
    if s.config.family == "causal":
        from peft import set_peft_model_state_dict

        set_peft_model_state_dict(s.model, state)
    else:
        s.model.load_state_dict(state)


def _validate(s: NeuralSummariser, docs: list[str], refs: list[str]) -> tuple[dict[str, float], list[str]]:
    import torch

    preds = s.summarise(docs)
    report = summary_report(preds, refs, docs)
    s.model.eval()
    with torch.inference_mode():
        losses = [float(s.loss(docs[i:i + s.config.batch_size], refs[i:i + s.config.batch_size]))
                  for i in range(0, len(docs), s.config.batch_size)]
    report["loss"] = sum(losses) / len(losses)
    return report, preds


def train_summariser(cfg: SummariserConfig, data_cfg: DataConfig | None = None, uri: str | None = None,
                     register: bool = True) -> SummariserResult:
    """Train, validate, checkpoint, log, register and gate one summariser."""
    import torch
    from transformers import get_linear_schedule_with_warmup

    data_cfg = data_cfg or DataConfig()
    tracking.setup(tracking.SUMMARISER, uri)
    reports, xsum = report_datasets(data_cfg), xsum_datasets(data_cfg)
    xsum_rows = [r for r in xsum["train"].to_list()
                 if (faithfulness(r["summary"], r["document"]) or 1.0) >= cfg.xsum_min_faithfulness]
    if cfg.xsum_limit:
        xsum_rows = xsum_rows[: cfg.xsum_limit]
    rows = {"reports": reports["train"].to_list(), "xsum": xsum_rows}
    val = reports["validation"].to_list()[: cfg.val_limit or None]
    val_docs, val_refs = [r["document"] for r in val], [r["summary"] for r in val]

    summ = NeuralSummariser(cfg).build()
    summ.common_ids = common_vocabulary(summ.tokenizer, [r["summary"] for part in rows.values() for r in part])
    device = "cuda" if torch.cuda.is_available() else "cpu"
    summ.model.to(device)
    params = [p for p in summ.model.parameters() if p.requires_grad]
    optimiser = torch.optim.AdamW(params, lr=cfg.learning_rate, weight_decay=cfg.weight_decay)
    scheduler = get_linear_schedule_with_warmup(optimiser, cfg.warmup_steps, cfg.max_steps)
    plan = batch_plan({k: list(range(len(v))) for k, v in rows.items()},
                      {k: [len(r["document"]) for r in v] for k, v in rows.items()}, cfg)
    ckpt = Path(cfg.checkpoint_dir) / run_name(cfg)
    start_step, best_score, best_state, patience = 0, float("-inf"), None, 0
    best_eval: tuple[dict[str, float], list[str]] | None = None
    if cfg.resume and (ckpt / "last.pt").exists():
        saved = torch.load(ckpt / "last.pt", weights_only=False)
        _load_trainable_state(summ, saved["weights"])
        optimiser.load_state_dict(saved["optimiser"])
        scheduler.load_state_dict(saved["scheduler"])
        start_step, best_score, patience = saved["step"], saved["best_score"], saved["patience"]
        best_state = saved.get("best")

    with mlflow.start_run(run_name=run_name(cfg)) as run:
        mlflow.set_tags({tracking.RUN_TYPE_TAG: "training", "accord.family": cfg.family,
                         tracking.GIT_COMMIT_TAG: tracking.git_commit() or "unknown",
                         "accord.resumed_from_step": str(start_step)})
        mlflow.log_params(tracking.flat_params(asdict(cfg)) | tracking.flat_params(asdict(data_cfg), "data.")
                          | {"train_reports": len(rows["reports"]), "train_xsum_rows": len(rows["xsum"]),
                             "device": device})
        mlflow.log_text(yaml.safe_dump({"summariser": asdict(cfg), "data": asdict(data_cfg)}, sort_keys=False),
                        "config.yaml")
        for name, part in (("reports-train", rows["reports"]), ("xsum-train", rows["xsum"]),
                           ("reports-validation", val)):
            df = pd.DataFrame([{"id": r["id"], "document": r["document"], "summary": r["summary"]} for r in part])
            tracking.log_dataframe_input(df, f"accord-{name}", name, targets="summary")
        started, running, count, step = time.perf_counter(), 0.0, 0, start_step
        for step in range(start_step, cfg.max_steps):
            summ.model.train()
            pool, idx = plan[step]
            batch = [rows[pool][i] for i in idx]
            loss = summ.loss([b["document"] for b in batch], [b["summary"] for b in batch])
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            optimiser.step()
            scheduler.step()
            optimiser.zero_grad()
            value = float(loss.detach())
            running, count = running + value, count + 1
            log.info("step %d/%d (%s) loss %.3f, %.1f s elapsed", step + 1, cfg.max_steps, pool, value,
                     time.perf_counter() - started)
            if (step + 1) % cfg.eval_every and step + 1 != cfg.max_steps:
                continue
            report, preds = _validate(summ, val_docs, val_refs)
            mlflow.log_metrics({"train_loss": running / count, "val_loss": report["loss"],
                                "val_rougeL": report["rougeL"], "val_rouge1": report["rouge1"],
                                "val_rouge2": report["rouge2"], "val_faithfulness": report["faithfulness"],
                                "elapsed_s": time.perf_counter() - started}, step=step + 1)
            running, count = 0.0, 0
            if report["rougeL"] > best_score:
                best_score, best_state, patience = report["rougeL"], _trainable_state(summ), 0
                best_eval = (report, preds)
            else:
                patience += 1
            ckpt.mkdir(parents=True, exist_ok=True)
            torch.save({"weights": _trainable_state(summ), "optimiser": optimiser.state_dict(),
                        "scheduler": scheduler.state_dict(), "step": step + 1, "best_score": best_score,
                        "patience": patience, "best": best_state}, ckpt / "last.pt")
            if patience > cfg.early_stopping_patience:
                break
        steps_done = step + 1 if cfg.max_steps > start_step else start_step
        train_time = time.perf_counter() - started
        if best_state is not None:
            _load_trainable_state(summ, best_state)
        summ.model.to("cpu")
        if best_eval is None:  # resumed past the best evaluation: score the restored weights again
            best_eval = _validate(summ, val_docs, val_refs)
        report, preds = best_eval
        metrics = {f"validation_{k}": v for k, v in report.items()}
        metrics |= {"train_time_s": train_time, "steps": float(steps_done),
                    "s_per_step": train_time / max(1, steps_done - start_step)}
        mlflow.log_metrics(metrics)
        xsum_val = xsum["validation"].to_list()[: max(0, 20 - len(val))]
        sample_docs = val_docs + [r["document"] for r in xsum_val]
        sample_preds = preds + summ.summarise([r["document"] for r in xsum_val])
        mlflow.log_table(pd.DataFrame({"document_head": [d[:300] for d in sample_docs],
                                       "reference": val_refs + [r["summary"] for r in xsum_val],
                                       "prediction": sample_preds}), "samples/validation.json")
        mlflow.log_dict({k: getattr(cfg, k) for k in ("num_beams", "no_repeat_ngram_size", "max_new_tokens",
                                                      "max_source_tokens", "prompt", "copy_constrained",
                                                      "copy_words", "copy_names", "max_words")}, "generation.json")
        version, decision = None, None
        import tempfile

        from accord.pyfunc import log_summariser

        with tempfile.TemporaryDirectory() as tmp:
            saved = summ.save(Path(tmp) / "summariser")
            info = log_summariser(summ, tracking.SUMMARISER if register else None, val_docs[:1], saved_dir=saved)
        if register and info.registered_model_version:
            version = str(info.registered_model_version)
            decision = tracking.promote_if_better(tracking.SUMMARISER, version, metrics["validation_rougeL"],
                                                  run.info.run_id)
        return SummariserResult(run.info.run_id, version, decision, metrics, summ, steps_done)
