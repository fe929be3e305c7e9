"""Can the summary's own confidence stand in for the briefs' agreement draws where it is high? Label-free.

    python evaluation/check_confidence.py measure   # the champion on all of real validation -> reports/confidence/
    python evaluation/check_confidence.py report    # the rule of docs/decisions.md (stop 53) -> check_confidence.md

``measure`` writes, per real-validation article, the champion's summary, its confidence (the greedy decode's mean
token log-probability over the summary's own tokens, :meth:`accord.summarise.inference.Inference.confidence`), and
what a brief decides about it: the soundness checks' verdict and, for the summaries they pass, whether the draws
refuse it (:meth:`accord.summarise.inference.Inference.doubts`). ``report`` splits the articles into two halves by
a seeded shuffle, finds the skip threshold ``s`` on the first (the lowest confidence at which the briefs that
change are at most 1% of the half) and measures it on the second. A brief changes when the draws would refuse a
summary the cascade shows because its confidence is at least ``s``. No reader's label is needed: the draws' own
decisions are the reference the cascade must keep.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time

from accord import paths, tracking
from accord.data.datasets import DataConfig, real_summary_datasets
from accord.io import write_text_atomic

OUT = paths.REPORTS_DIR / "confidence"
MEASURED = OUT / "confidence_validation.json"
SEED = 0  # the shuffle that splits the articles into the half that chooses s and the half that measures it
CHOOSE_MAX = 0.01  # first half: briefs changed, share of its articles, at most
ADOPT_CHANGED_MAX = 0.02  # second half: briefs changed, at most
ADOPT_SKIPPED_MIN = 0.30  # second half: share of the summaries the checks pass whose draws are skipped, at least
BATCH = 16  # articles summarised (and drawn) together, as briefs do per decode batch


def measure(model_uri: str) -> dict:
    """Every real-validation article's summary, confidence and what a brief's checks and draws decide about it
    (:meth:`~accord.summarise.inference.Inference.doubts`, with the prompt passes kept as briefs keep them), with
    the seconds spent summarising and deciding."""
    from accord.summarise.benchmark import neural_summariser

    summ = neural_summariser(model_uri, None)
    summ.keep_prompts = True  # as briefs: the draws start from the summary's own prompt pass
    summ.track_confidence = True
    items = real_summary_datasets(DataConfig())["validation"].to_list()
    rows, seconds = {}, {"summaries": 0.0, "doubts": 0.0}
    for start in range(0, len(items), BATCH):
        batch = items[start:start + BATCH]
        docs = [r["document"] for r in batch]
        began = time.perf_counter()
        summaries = summ.summarise(docs)
        seconds["summaries"] += time.perf_counter() - began
        began = time.perf_counter()
        found = summ.doubts(docs, summaries)
        seconds["doubts"] += time.perf_counter() - began
        for r, summary, conf, why in zip(batch, summaries, summ.confidence(docs), found, strict=True):
            refused = bool(why) and why[0].startswith("unstable:")
            rows[r["id"]] = {"summary": summary, "confidence": conf, "checks_pass": not why or refused,
                             "draws_refuse": refused, "why": why}
        print(f"validation: {start + len(batch)} of {len(items)}", file=sys.stderr, flush=True)
    return {"model_uri": model_uri, "draws": summ.g.agreement_draws, "agreement_min": summ.g.agreement_min,
            "seconds": seconds, "rows": rows}


def halves(ids: list[str]) -> tuple[list[str], list[str]]:
    order = sorted(ids)
    random.Random(SEED).shuffle(order)
    return order[:len(order) // 2], order[len(order) // 2:]


def outcome(rows: list[dict], s: float) -> dict[str, float]:
    """What skipping the draws at confidence >= ``s`` does to these articles' briefs."""
    passed = [r for r in rows if r["checks_pass"]]
    skipped = [r for r in passed if r["confidence"] >= s]
    changed = [r for r in skipped if r["draws_refuse"]]
    refused = [r for r in passed if r["draws_refuse"]]
    return {"articles": len(rows), "checks_pass": len(passed), "draws_refuse": len(refused),
            "skipped": len(skipped), "changed": len(changed), "changed_share": len(changed) / max(len(rows), 1),
            "skipped_share": len(skipped) / max(len(passed), 1)}


def choose(rows: list[dict]) -> float:
    """The lowest observed confidence at which at most ``CHOOSE_MAX`` of the articles' briefs change."""
    for s in sorted({r["confidence"] for r in rows if r["checks_pass"]}):
        if outcome(rows, s)["changed_share"] <= CHOOSE_MAX:
            return s
    return float("inf")


def auroc(positive: list[float], negative: list[float]) -> float:
    """P(a draw-refused summary is less confident than a kept one); ties count half."""
    pairs = [(p < n) + 0.5 * (p == n) for p in positive for n in negative]
    return sum(pairs) / len(pairs) if pairs else float("nan")


def report(measured: dict) -> str:
    rows = measured["rows"]
    minimum = measured["agreement_min"]
    first, second = halves(list(rows))
    s = choose([rows[i] for i in first])
    a, b = outcome([rows[i] for i in first], s), outcome([rows[i] for i in second], s)
    adopted = b["changed_share"] <= ADOPT_CHANGED_MAX and b["skipped_share"] >= ADOPT_SKIPPED_MIN
    passed = [r for r in rows.values() if r["checks_pass"]]
    separation = auroc([r["confidence"] for r in passed if r["draws_refuse"]],
                       [r["confidence"] for r in passed if not r["draws_refuse"]])
    head = "| half | articles | checks pass | draws refuse | draws skipped | briefs changed |"
    lines = ["# Skipping the agreement draws where the summary is confident (real validation, label-free)", "",
             f"Model: `{measured['model_uri']}`; {measured['draws']} draws, agreement below {minimum} refuses. "
             f"Rule: docs/decisions.md (stop 53). Seconds on this machine: summaries "
             f"{measured['seconds']['summaries']:.1f}, checks and draws {measured['seconds']['doubts']:.1f}.", "",
             f"Confidence separates the draws' refusals from the rest with AUROC {separation:.3f} "
             f"({len(passed)} summaries the checks pass).", "",
             f"Threshold chosen on the first half: s = {s:.4f} (at most {CHOOSE_MAX:.0%} of its briefs changed).", "",
             head, "|---|---|---|---|---|---|"]
    for name, o in (("first (chooses s)", a), ("second (measures)", b)):
        lines.append(f"| {name} | {o['articles']} | {o['checks_pass']} | {o['draws_refuse']} | {o['skipped']} "
                     f"({o['skipped_share']:.0%}) | {o['changed']} ({o['changed_share']:.1%}) |")
    verdict = "adopted" if adopted else "not adopted"
    lines += ["", f"Second half against the rule (changed at most {ADOPT_CHANGED_MAX:.0%}, skipped at least "
              f"{ADOPT_SKIPPED_MIN:.0%}): **{verdict}**."]
    return "\n".join(lines) + "\n"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("what", choices=("measure", "report"))
    ap.add_argument("--model-uri", default=tracking.SUMMARISER_URI)
    args = ap.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    if args.what == "measure":
        write_text_atomic(MEASURED, json.dumps(measure(args.model_uri), indent=1, ensure_ascii=False) + "\n")
    text = report(json.loads(MEASURED.read_text(encoding="utf-8")))
    write_text_atomic(OUT / "check_confidence.md", text)
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
