"""Decoding variants of one trained summariser side by side on real validation or unused rounds (never a test
split): how a decoding rule was chosen. Same weights, same articles; only the generation settings named on the
command line change (``model.KEY=VALUE`` changes an input setting instead, e.g. ``model.max_source_tokens=256``).

    python evaluation/compare_decoding.py copy_topics=false copy_topics=true        # one variant per argument
    python evaluation/compare_decoding.py "copy_topics=true,tidy=false" --model models:/accord-summariser/1
    python evaluation/compare_decoding.py "" bf16_cache=true --rounds data/real/round6,data/real/round9

``--rounds`` reads labelled rounds no summariser has used instead of real validation (a decoding choice that real
validation has already seen is measured there).

Writes ``evaluation/reports/decoding_comparison.{json,md}`` (or ``--report NAME``): ROUGE-L with its CI and the
failure rates per variant, lead-1 on the same articles beside them, and each variant's ROUGE-L minus the first
variant's and minus lead-1's, paired over the articles with a 95% bootstrap interval.
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

import yaml

from accord import paths, tracking
from accord.config import ConfigError, from_dict
from accord.data.config import DataConfig
from accord.data.datasets import folder_summary_pairs, real_summary_datasets
from accord.data.real import measures_only
from accord.io import InputError, iter_jsonl, write_text_atomic
from accord.summarise.baselines import Lead1Summariser
from accord.summarise.benchmark import neural_summariser
from accord.summarise.evaluate import fallback_rate
from accord.summarise.metrics import paired_difference, rouge, summary_report

REPORT = "decoding_comparison"
LEAD1 = "lead-1"  # the baseline row: each article's first sentence
COLUMNS = ("rougeL", "clean_rate", "loop_rate", "role_error_rate", "garbled_rate", "invented_topic_rate",
           "invented_claim_rate", "fallback_rate")


def variant(spec: str, base: Any) -> Any:
    """``base`` with ``key=value,key=value`` applied (YAML values, checked like any config)."""
    values = {**asdict(base)}
    for item in filter(None, spec.split(",")):
        key, _, value = item.partition("=")
        values[key] = yaml.safe_load(value)
    try:
        return from_dict(type(base), values, f"variant {spec!r}")
    except ConfigError as exc:
        raise SystemExit(f"error: {exc}") from None


def apply(spec: str, summariser: Any, saved: tuple[Any, Any]) -> None:
    """Set the summariser's generation (and, for ``model.`` keys, input) settings to ``saved`` plus ``spec``."""
    items = list(filter(None, spec.split(",")))
    summariser.g = variant(",".join(i for i in items if not i.startswith("model.")), saved[0])
    summariser.m = variant(",".join(i[len("model."):] for i in items if i.startswith("model.")), saved[1])


def is_test_set(folder: Path) -> bool:
    """A folder collected to measure only (round 10) or the second real test set (round 5)."""
    if folder.resolve() == Path(DataConfig().second_test_dir).resolve():
        return True
    errors: list[InputError] = []
    rows = {r["article_id"]: r for _, r in iter_jsonl(folder / "articles.jsonl", errors)}
    if errors:
        raise errors[0]
    return measures_only(rows)


def articles(rounds: str) -> list[dict[str, str]]:
    """Real validation's summary pairs, or those of the labelled ``rounds`` (a test set is refused by name)."""
    if not rounds:
        return list(real_summary_datasets()["validation"])
    folders = [f for f in rounds.split(",") if f]
    try:
        refused = [f for f in folders if is_test_set(Path(f))]
        if refused:
            raise SystemExit(f"error: {', '.join(refused)}: collected to measure only (a test set)")
        return [row for folder in folders for row in folder_summary_pairs(folder)]
    except InputError as exc:  # a malformed line, named by file and line
        raise SystemExit(f"error: {exc}") from None


def paired_lines(rows: dict[str, dict[str, Any]], refs: list[str]) -> list[str]:
    """Each variant's ROUGE-L minus the first variant's and minus lead-1's, paired over the same articles."""
    scores = {name: rouge(r["predictions"], refs)["rougeL"] for name, r in rows.items()}
    first = next(iter(rows))
    lines = ["", f"Paired ROUGE-L differences (95% bootstrap CI over the articles; first variant: `{first}`):", "",
             "| variant | minus the first variant | minus lead-1 |", "|---|---|---|"]
    for name in rows:
        if name == LEAD1:
            continue
        cells = []
        for other in (first, LEAD1):
            d = paired_difference(scores[name], scores[other])
            cells.append(f"{d['diff']:+.2f} [{d['low']:+.2f}, {d['high']:+.2f}]")
        lines.append(f"| `{name}` | " + " | ".join(cells) + " |")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("variants", nargs="+", help="key=value[,key=value] over the generation settings")
    parser.add_argument("--model", default=tracking.SUMMARISER_URI)
    parser.add_argument("--tracking-uri", default=None)
    parser.add_argument("--report", default=REPORT, help="report name under evaluation/reports/ (.json and .md)")
    parser.add_argument("--limit", type=int, default=0, help=">0: only the first N articles (a smoke run)")
    parser.add_argument("--rounds", default="", help="comma-separated labelled folders to read instead of real "
                                                     "validation (never a test set)")
    args = parser.parse_args()
    summariser = neural_summariser(args.model, args.tracking_uri)
    saved = summariser.g, summariser.m
    items = articles(args.rounds)[:args.limit or None]
    docs, refs = [r["document"] for r in items], [r["summary"] for r in items]
    rows = {}
    for spec in args.variants:
        apply(spec, summariser, saved)
        start = time.perf_counter()
        predictions = summariser.summarise(docs)
        rows[spec] = summary_report(predictions, refs, docs) | {"seconds": time.perf_counter() - start,
                                                               "fallback_rate": fallback_rate(predictions, docs),
                                                               "predictions": predictions}
        print(spec, {k: round(rows[spec][k], 3) for k in COLUMNS}, flush=True)
    lead = Lead1Summariser().summarise(docs)
    rows[LEAD1] = summary_report(lead, refs, docs) | {"seconds": 0.0, "fallback_rate": fallback_rate(lead, docs),
                                                      "predictions": lead}
    where = f"rounds {args.rounds}" if args.rounds else "real validation"
    lines = [f"# Decoding variants on {where} ({len(docs)} articles, `{args.model}`)", "",
             "| variant | ROUGE-L | clean % | loop % | role error % | garbled % | invented topic % | invented claim % "
             "| brief fallback % | seconds |", "|---|---|---|---|---|---|---|---|---|---|"]
    for spec, r in rows.items():
        lines.append(f"| `{spec}` | {r['rougeL']:.1f} [{r['rougeL_ci_low']:.1f}, {r['rougeL_ci_high']:.1f}] | "
                     + " | ".join(f"{100 * r[k]:.0f}" for k in COLUMNS[1:]) + f" | {r['seconds']:.0f} |")
    lines += paired_lines(rows, refs)
    write_text_atomic(paths.REPORTS_DIR / f"{args.report}.json", json.dumps(rows, indent=1, ensure_ascii=False) + "\n")
    write_text_atomic(paths.REPORTS_DIR / f"{args.report}.md", "\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
