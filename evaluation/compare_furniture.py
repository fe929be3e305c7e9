"""The champion summariser on real validation with and without page-furniture sentences in its input: how briefs
came to leave furniture out (docs/decisions.md, batch classification). Same weights and decoding; metrics check
every summary against the article as published.

    python evaluation/compare_furniture.py          # -> evaluation/reports/furniture/furniture_comparison.{json,md}
"""

from __future__ import annotations

import json
import time
from collections import defaultdict

from accord import paths, tracking
from accord.data.datasets import DataConfig, load_real_corpus, real_summary_datasets
from accord.io import write_text_atomic
from accord.summarise.benchmark import neural_summariser
from accord.summarise.evaluate import fallback_rate
from accord.summarise.metrics import summary_report
from accord.text import is_furniture

KEYS = ("clean_rate", "loop_rate", "role_error_rate", "garbled_rate", "fallback_rate")


def documents() -> tuple[list[str], list[str], list[str]]:
    """Real validation documents as published, the same without furniture sentences, and the references."""
    items = list(real_summary_datasets()["validation"])
    by_article: dict[str, list[str]] = defaultdict(list)
    for s in sorted(load_real_corpus(DataConfig()).sentences, key=lambda s: (s["article_id"], s["sentence_index"])):
        by_article[s["article_id"]].append(s["text"])
    assert all(" ".join(by_article[r["id"]]) == r["document"] for r in items)
    clean = [" ".join([t for t in by_article[r["id"]] if not is_furniture(t)] or by_article[r["id"]]) for r in items]
    return [r["document"] for r in items], clean, [r["summary"] for r in items]


def main() -> None:
    docs, clean, refs = documents()
    changed = [i for i, (a, b) in enumerate(zip(docs, clean, strict=True)) if a != b]
    summariser, out = neural_summariser(tracking.SUMMARISER_URI), {}
    for name, inputs in (("as published", docs), ("furniture dropped", clean)):
        start = time.perf_counter()
        preds = summariser.summarise(inputs)
        seconds = time.perf_counter() - start
        sub = [[x[i] for i in changed] for x in (preds, refs, docs)]
        out[name] = {"all": summary_report(preds, refs, docs) | {"seconds": seconds,
                                                                 "fallback_rate": fallback_rate(preds, docs)},
                     "changed": summary_report(*sub), "predictions": preds}
    lines = [f"# Page furniture in the summariser's input: real validation ({len(docs)} articles, champion)", "",
             f"{len(changed)} of {len(docs)} documents contain furniture sentences.", "",
             "| input | ROUGE-L (all) | clean % | loop % | role error % | garbled % | brief fallback % "
             f"| ROUGE-L ({len(changed)} changed) | garbled % (changed) | seconds |", "|---" * 10 + "|"]
    for name, r in out.items():
        a, c = r["all"], r["changed"]
        lines.append(f"| {name} | {a['rougeL']:.1f} [{a['rougeL_ci_low']:.1f}, {a['rougeL_ci_high']:.1f}] | "
                     + " | ".join(f"{100 * a[k]:.1f}" for k in KEYS)
                     + f" | {c['rougeL']:.1f} | {100 * c['garbled_rate']:.1f} | {a['seconds']:.0f} |")
    folder = paths.REPORTS_DIR / "furniture"
    folder.mkdir(parents=True, exist_ok=True)
    write_text_atomic(folder / "furniture_comparison.json",
                      json.dumps({"changed": changed, **out}, indent=1, ensure_ascii=False) + "\n")
    write_text_atomic(folder / "furniture_comparison.md", "\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
