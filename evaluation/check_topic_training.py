"""Development experiment: the quick summariser trained on the lead plus the category sentences of long articles,
against the `make run` champion on the documents it is served. Real validation only; the rule (written before the
candidate was trained) is in docs/decisions.md, Summariser, "Trained on the lead plus the category sentences".

    python evaluation/check_topic_training.py          # in a fresh `make run` clone: its two champions

It scores every real train and validation sentence with ``accord classify`` (the classifier champion), builds the
input of each article longer than the source budget as ``probe_topic_input.built`` does, trains ``quick.yaml`` with
the champion's batch plan (drawn from the original documents' lengths: the same examples meet the same steps) into
an unregistered MLflow run, and compares on all real-validation articles. Reports go to reports/confidence/.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from check_confidence import OUT
from probe_topic_input import built, read_scored, table_rows

from accord import paths, tracking
from accord.config import load_config
from accord.data.datasets import DataConfig, real_summary_datasets
from accord.io import write_text_atomic
from accord.summarise.metrics import paired_difference, rouge

CONFIG = paths.ROOT / "training" / "configs" / "summariser" / "quick.yaml"  # what `make run` trains
RUN_NAME = "causal-gemma-3-270m-quick-topic-input-s42"  # the candidate's MLflow run (never registered)


def sentence_scores(rows: list[dict[str, str]], workdir: Path) -> dict[str, list[dict[str, Any]]]:
    """``accord classify``'s rows (text, scores) for every document, by article id, in article order."""
    docs, out = workdir / "docs.jsonl", workdir / "sentences.jsonl"
    docs.write_text("".join(json.dumps({"id": r["id"], "text": r["document"]}) + "\n" for r in rows), "utf-8")
    accord = Path(sys.executable).with_name("accord")
    subprocess.run([str(accord), "classify", str(docs), "--out", str(out), "--quiet"], check=True)
    return read_scored(out)


def inputs(rows: list[dict[str, str]], scored: dict[str, list[dict[str, Any]]], budget: int,
           count: Callable[[str], int]) -> dict[str, str]:
    """Article id -> the built input, for the articles longer than ``budget`` tokens only."""
    return {r["id"]: built(scored[r["id"]], budget, count) for r in rows
            if r["id"] in scored and count(r["document"]) > budget}


def train_candidate(replaced: dict[str, str]) -> str:
    """Train quick.yaml with the long real-train documents replaced and the champion's plan; its model URI."""
    import mlflow

    from accord.summarise import train as train_module
    from accord.summarise.config import SummariserConfig

    cfg = load_config(SummariserConfig, CONFIG, [f"run_name={RUN_NAME}"], {"data": paths.DATA_CONFIG_FILE})
    original_rows, original_plan = train_module.training_rows, train_module.batch_plan
    kept: dict[str, Any] = {}

    def rows_with_inputs(c: SummariserConfig) -> Any:
        pools, val = original_rows(c)
        kept["lengths"] = {k: [len(r["document"]) for r in v] for k, v in pools.items()}
        pools["real"] = [r | {"document": replaced.get(r["id"], r["document"])} for r in pools["real"]]
        return pools, val

    train_module.training_rows = rows_with_inputs
    train_module.batch_plan = lambda pools, _lengths, c: original_plan(pools, kept["lengths"], c)
    try:
        _, objects = train_module.train(cfg, register=False)
    finally:
        train_module.training_rows, train_module.batch_plan = original_rows, original_plan
    del objects
    return mlflow.last_logged_model().model_uri


def report(items: list[dict[str, str]], served: list[str], champion: list[str], candidate: list[str],
           long: list[int]) -> str:
    """The rule's numbers: ROUGE-L, clean and role flags on all and on the long articles, paired differences."""
    refs = [r["summary"] for r in items]
    lines = ["# Trained on the lead plus the category sentences (real validation, development)", "",
             f"{len(items)} articles, {len(long)} longer than the source budget (only these get the built input). "
             "Checks against the served document.", "",
             "| articles | model (input) | ROUGE-L | clean (soundness checks) | role check flags |",
             "|---|---|---|---|---|"]
    lines += table_rows({"all": list(range(len(items))), "long": long},
                        {"champion (served document)": champion, "candidate (built input)": candidate}, refs, served)
    lines.append("")
    for name, rows in (("all", list(range(len(items)))), ("long", long)):
        diff = paired_difference(rouge([candidate[k] for k in rows], [refs[k] for k in rows])["rougeL"],
                                 rouge([champion[k] for k in rows], [refs[k] for k in rows])["rougeL"])
        same = sum(candidate[k] == champion[k] for k in rows)
        lines.append(f"- {name}: ROUGE-L candidate minus champion, paired {diff['diff']:+.2f} [{diff['low']:+.2f}, "
                     f"{diff['high']:+.2f}], better in {diff['wins']:.0%} of resamples; {same} summaries identical.")
    return "\n".join(lines) + "\n"


def main() -> int:
    from accord.summarise.benchmark import neural_summariser

    argparse.ArgumentParser(description=__doc__.splitlines()[0]).parse_args()
    pairs = real_summary_datasets(DataConfig())
    train_rows, items = pairs["train"].to_list(), pairs["validation"].to_list()
    champion = neural_summariser(tracking.SUMMARISER_URI)
    budget, tokenizer = champion.m.max_source_tokens, champion.tokenizer

    def count(text: str) -> int:
        return len(tokenizer(text, add_special_tokens=False)["input_ids"])

    with tempfile.TemporaryDirectory() as tmp:
        scored = sentence_scores(train_rows + items, Path(tmp))
    replaced_train, replaced_val = inputs(train_rows, scored, budget, count), inputs(items, scored, budget, count)
    print(f"built inputs: {len(replaced_train)} of {len(train_rows)} train, {len(replaced_val)} of {len(items)} "
          "validation articles", flush=True)
    served = [r["document"] for r in items]
    plain = champion.summarise(served)
    del champion
    candidate = neural_summariser(train_candidate(replaced_train))
    topical = candidate.summarise([replaced_val.get(r["id"], r["document"]) for r in items])
    long = [k for k, r in enumerate(items) if r["id"] in replaced_val]
    text = report(items, served, plain, topical, long)
    write_text_atomic(OUT / "check_topic_training.md", text)
    write_text_atomic(OUT / "check_topic_training.json", json.dumps(
        {"ids": [r["id"] for r in items], "long": long, "champion": plain, "candidate": topical}, indent=1,
        ensure_ascii=False) + "\n")
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
