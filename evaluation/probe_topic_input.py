"""Development probe: does the summariser miss less of a long article when its input is the lead plus the sentences
the classifier gives a category, instead of the article's first tokens? Real validation only; it chooses nothing.

    accord classify validation_docs.jsonl --out sentences.jsonl      # the classifier's scores per sentence
    python evaluation/probe_topic_input.py sentences.jsonl           # -> reports/confidence/probe_topic_input.md

Articles that fit the model's source budget are summarised as they are. For a longer one the input is its first
``LEAD`` sentences, then the sentences whose best category score is at least ``MIN_SCORE``, highest first, while the
budget lasts, put back in article order. The champion was trained on article prefixes, so this measures the input
alone, without training on it. Both inputs are scored against the same references and checked against the whole
article.
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

from check_confidence import OUT

from accord import tracking
from accord.data.datasets import DataConfig, real_summary_datasets
from accord.io import write_text_atomic
from accord.summarise.guard import soundness_problems
from accord.summarise.metrics import paired_difference, rouge
from accord.summarise.roles import role_errors

LEAD = 2  # sentences always kept from the start (who met whom, where)
MIN_SCORE = 0.5  # a sentence's best category score to count as a cooperation sentence


def built(sentences: list[dict], budget: int, count: Callable[[str], int]) -> str:
    """The lead, then the cooperation sentences by score, within ``budget`` tokens, in article order."""
    texts = [s["text"] for s in sentences]
    if count(" ".join(texts)) <= budget:
        return " ".join(texts)
    keep = set(range(min(LEAD, len(texts))))
    used = count(" ".join(texts[k] for k in sorted(keep)))
    ranked = sorted((k for k in range(LEAD, len(texts)) if max(sentences[k]["scores"].values()) >= MIN_SCORE),
                    key=lambda k: -max(sentences[k]["scores"].values()))
    for k in ranked:
        extra = count(texts[k]) + 1
        if used + extra <= budget:
            keep.add(k)
            used += extra
    return " ".join(texts[k] for k in sorted(keep))


def read_scored(path: Path) -> dict[str, list[dict]]:
    """``accord classify``'s rows (text, scores) by article id, in article order."""
    by_article: dict[str, list[dict]] = defaultdict(list)
    for line in path.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        by_article[row["article_id"]].append(row)
    return {k: sorted(v, key=lambda s: s["sentence_index"]) for k, v in by_article.items()}


def table_rows(groups: dict[str, list[int]], systems: dict[str, list[str]], refs: list[str], docs: list[str]
               ) -> list[str]:
    """One table row per group of articles and system: ROUGE-L, the soundness checks' clean rate and the role
    check's flag rate, each summary checked against ``docs``."""
    lines = []
    for name, rows in groups.items():
        for label, out in systems.items():
            score = rouge([out[k] for k in rows], [refs[k] for k in rows])["rougeL"].mean()
            clean = sum(not soundness_problems(out[k], docs[k]) for k in rows) / len(rows)
            roles = sum(bool(role_errors(out[k], docs[k])) for k in rows) / len(rows)
            lines.append(f"| {name} ({len(rows)}) | {label} | {score:.2f} | {clean:.1%} | {roles:.1%} |")
    return lines


def probe(sentences_path: Path, model_uri: str) -> str:
    from accord.summarise.benchmark import neural_summariser

    by_article = read_scored(sentences_path)
    items = [r for r in real_summary_datasets(DataConfig())["validation"].to_list() if r["id"] in by_article]
    summ = neural_summariser(model_uri, None)
    budget = summ.m.max_source_tokens

    def count(text: str) -> int:
        return len(summ.tokenizer(text, add_special_tokens=False)["input_ids"])

    docs = [r["document"] for r in items]
    long = [k for k, r in enumerate(items) if count(r["document"]) > budget]
    inputs = list(docs)  # an article that fits is summarised as it is, to the character
    for k in long:
        inputs[k] = built(by_article[items[k]["id"]], budget, count)
    plain, topical = summ.summarise(docs), summ.summarise(inputs)
    return report(items, docs, plain, topical, long)


def report(items: list[dict], docs: list[str], plain: list[str], topical: list[str], long: list[int]) -> str:
    refs = [r["summary"] for r in items]
    lines = ["# Lead plus category sentences as the summariser's input (real validation, development probe)", "",
             f"{len(items)} articles, {len(long)} longer than the source budget (only these get another input). "
             "Checks against the whole article.", "",
             "| articles | input | ROUGE-L | clean (soundness checks) | role check flags |", "|---|---|---|---|---|"]
    lines += table_rows({"all": list(range(len(items))), "long": long},
                        {"first tokens": plain, "lead + category sentences": topical}, refs, docs)
    diff = paired_difference(rouge([topical[k] for k in long], [refs[k] for k in long])["rougeL"],
                             rouge([plain[k] for k in long], [refs[k] for k in long])["rougeL"])
    lines += ["", f"Long articles, ROUGE-L of the built input minus the first tokens, paired: {diff['diff']:+.2f} "
              f"[{diff['low']:+.2f}, {diff['high']:+.2f}].", ""]
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("sentences", type=Path, help="accord classify's rows for the real-validation documents")
    ap.add_argument("--model-uri", default=tracking.SUMMARISER_URI)
    args = ap.parse_args()
    text = probe(args.sentences, args.model_uri)
    write_text_atomic(OUT / "probe_topic_input.md", text)
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
