"""Human-read audit of summaries on real test articles: a blind sheet to read, then the tally by error type.

    python evaluation/audit_summaries.py export [--n 30] [--seed 0] [--model-uri URI]   # writes evaluation/audit/
    (read evaluation/audit/sheet.md; fill evaluation/audit/labels.jsonl: one line per article and summary letter)
    python evaluation/audit_summaries.py tally                                          # -> reports/summary_audit.md
    python evaluation/audit_summaries.py export --split validation  # development: evaluation/audit/validation/
    python evaluation/audit_summaries.py tally --split validation   # -> reports/summary_audit_validation.md
    python evaluation/audit_summaries.py export --split validation --round 2  # 30 articles no earlier round drew
    python evaluation/audit_summaries.py export --split test-2   # the second real test set: evaluation/audit/test-2/
    python evaluation/audit_summaries.py variants REPORT.json A B --name NAME  # two decoding variants (compare_decoding
                                                 # on validation) side by side where they differ: audit/NAME/
                                                 # (--sample 40: 40 of those, drawn with --seed)
    python evaluation/audit_summaries.py tally --name NAME                     # -> reports/summary_audit_NAME.md

The articles are a seeded sample of the real test split (outlets never trained on), drawn before anyone reads a
summary; decoding and checks are developed on audits of the validation split, never on the test audit. Each
article shows two summaries, A and B, in an order drawn per article, so the reader does not know which system wrote
which; ``key.json`` (not to be opened while reading) maps the letters back to the champion and
lead-1. Error types (a summary can have several):

- ``wrong_role``: a person given an office, title or country the article does not give them;
- ``wrong_fact``: a place, date, number, party or agreement the article does not support;
- ``inverted``: a claim the article states the other way round (who asked whom, what was agreed or refused);
- ``loop``: a word or list item repeated so that the sentence reads as broken;
- ``garbled``: a fragment that is not English or not a name as written;
- ``missed_main``: the meeting's main cooperation topic (by the article's first paragraphs) is absent.
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path

from accord import paths
from accord.data.datasets import DataConfig, real_summary_datasets, second_real_test
from accord.io import write_text_atomic

AUDIT_DIR = paths.ROOT / "evaluation" / "audit"
ERRORS = ("wrong_role", "wrong_fact", "inverted", "loop", "garbled", "missed_main")
SERIOUS = ("wrong_role", "wrong_fact", "inverted")  # the bar: at most 3 of 30 with any of these
SYSTEMS = ("champion", "lead1")
ARTICLE_CHARS = 2500  # the head of each article shown on the sheet (the meeting is in the first paragraphs)


def _summaries(items: list[dict[str, str]], model_uri: str) -> dict[str, list[str]]:
    from accord import tracking
    from accord.summarise.baselines import Lead1Summariser

    docs = [r["document"] for r in items]
    champion = tracking.load_model(model_uri).unwrap_python_model().summariser
    return {"champion": champion.summarise(docs), "lead1": Lead1Summariser().summarise(docs)}


def audit_dir(split: str, round_: int = 1) -> Path:
    """Where a split's sheet, key and labels live (the test audit keeps the top folder; later rounds of a split
    get their own: ``validation-2``)."""
    first = AUDIT_DIR if split == "test" else AUDIT_DIR / split
    return first if round_ == 1 else AUDIT_DIR / f"{split}-{round_}"


def audited(split: str, round_: int) -> set[str]:
    """Articles that earlier rounds of the split drew: a new round reads others, so its findings are new cases."""
    keys = [audit_dir(split, r) / "key.json" for r in range(1, round_)]
    return {i for k in keys if k.exists() for i in json.loads(k.read_text(encoding="utf-8"))["key"]}


def export(n: int, seed: int, model_uri: str, split: str = "test", round_: int = 1) -> None:
    seen = audited(split, round_)
    data = DataConfig()
    items = second_real_test(data) if split == "test-2" else real_summary_datasets(data)[split].to_list()
    pool = [r for r in items if r["id"] not in seen]
    items = random.Random(seed).sample(pool, min(n, len(pool)))
    write_sheet(items, _summaries(items, model_uri), SYSTEMS, audit_dir(split, round_), seed,
                {"model_uri": model_uri, "split": split})


def export_variants(report: Path, variants: tuple[str, str], name: str, seed: int, sample: int = 0) -> None:
    """The real-validation articles (compare_decoding's order) where two decoding variants of a comparison report
    wrote different summaries, both shown blind; ``sample`` > 0: that many of them, drawn with ``seed`` before
    anyone reads a summary (where nearly every summary changes, a reader cannot read them all)."""
    if not report.is_file():
        raise SystemExit(f"error: {report}: no such comparison report (run evaluation/compare_decoding.py first)")
    rows = json.loads(report.read_text(encoding="utf-8"))
    missing = [v for v in variants if v not in rows]
    if missing:
        raise SystemExit(f"error: {report}: no variant {missing[0]!r} (has: {', '.join(rows)})")
    items = real_summary_datasets(DataConfig())["validation"].to_list()
    a, b = (rows[v]["predictions"] for v in variants)
    keep = [k for k in range(len(items)) if a[k] != b[k]]
    if 0 < sample < len(keep):
        keep = sorted(random.Random(seed).sample(keep, sample))
    summaries = {v: [rows[v]["predictions"][k] for k in keep] for v in variants}
    write_sheet([items[k] for k in keep], summaries, variants, AUDIT_DIR / name, seed,
                {"report": str(report.relative_to(paths.ROOT)) if report.is_relative_to(paths.ROOT) else str(report),
                 "split": "validation"})


def write_sheet(items: list[dict], summaries: dict[str, list[str]], systems: tuple[str, str], out: Path, seed: int,
                about: dict[str, str]) -> None:
    """The sheet (articles and summaries A/B), the key and an empty labels file (kept if a reader started)."""
    order = random.Random(seed + 1)
    intro = ("Each article shows two summaries, A and B, in an order drawn per article; mark each summary's errors "
             "in labels.jsonl (true/false per type, a note where useful). Error types")
    sheet, key, template = ["# Summary audit sheet", "", intro + __doc__.split("Error types")[1], ""], {}, []
    for k, item in enumerate(items):
        letters = dict(zip("AB", order.sample(list(systems), 2), strict=True))
        key[item["id"]] = letters
        sheet += [f"## {k + 1}. {item['id']}", "", item["document"][:ARTICLE_CHARS], "",
                  *(f"- **{letter}**: {summaries[system][k]}" for letter, system in letters.items()), ""]
        template += [{"id": item["id"], "letter": letter, **dict.fromkeys(ERRORS, False), "note": ""}
                     for letter in letters]
    out.mkdir(parents=True, exist_ok=True)
    write_text_atomic(out / "sheet.md", "\n".join(sheet) + "\n")
    write_text_atomic(out / "key.json", json.dumps({"seed": seed, **about, "key": key}, indent=1) + "\n")
    if not (out / "labels.jsonl").exists():  # never overwrite a reader's work
        write_text_atomic(out / "labels.jsonl", "".join(json.dumps(t) + "\n" for t in template))
    print(f"wrote {out}/sheet.md ({len(items)} articles, real {about['split']}), key.json, labels.jsonl")


def tally(split: str = "test", round_: int = 1, name: str = "") -> str:
    folder = AUDIT_DIR / name if name else audit_dir(split, round_)
    if not (folder / "key.json").exists() or not (folder / "labels.jsonl").exists():
        raise SystemExit(f"error: {folder}: no key.json and labels.jsonl (run export first)")
    key = json.loads((folder / "key.json").read_text(encoding="utf-8"))["key"]
    systems = list(dict.fromkeys(s for letters in key.values() for s in sorted(letters.values())))
    rows = [json.loads(line) for line in (folder / "labels.jsonl").read_text(encoding="utf-8").splitlines()
            if line.strip()]
    counts = {s: dict.fromkeys((*ERRORS, "serious", "any"), 0) for s in systems}
    notes = []
    for row in rows:
        system = key[row["id"]][row["letter"]]
        found = [e for e in ERRORS if row.get(e)]
        for e in found:
            counts[system][e] += 1
        counts[system]["serious"] += any(e in SERIOUS for e in found)
        counts[system]["any"] += bool(found)
        if found:
            notes.append(f"- {row['id']} ({system}): {', '.join(found)}. {row.get('note', '')}")
    n = len(key)
    head = "| system | " + " | ".join(ERRORS) + " | wrong role/fact/inversion | any error |"
    title = name or f"real {split} articles" + (f", round {round_}" if round_ > 1 else "")
    lines = [f"# Summary audit ({title})", "", f"{n} articles, read blind (A/B order drawn per article).",
             "Counts are summaries with that error.", "", head, "|---" * (len(ERRORS) + 3) + "|"]
    for s in systems:
        c = counts[s]
        lines.append(f"| {s} | " + " | ".join(str(c[e]) for e in ERRORS) + f" | {c['serious']} of {n} | "
                     f"{c['any']} of {n} |")
    return "\n".join([*lines, "", "## Errors found", "", *notes]) + "\n"


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("step", choices=("export", "variants", "tally"))
    parser.add_argument("pair", nargs="*", help="variants: the comparison report (.json) and two of its variants")
    parser.add_argument("--name", default="", help="variants/tally: the audit folder under evaluation/audit/")
    parser.add_argument("--n", type=int, default=30)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--sample", type=int, default=0, help="variants: >0: only that many changed articles, "
                                                              "drawn with --seed")
    parser.add_argument("--model-uri", default="models:/accord-summariser@champion")
    parser.add_argument("--split", default="test", choices=("test", "validation", "test-2"))
    parser.add_argument("--round", type=int, default=1, help="2, 3, ...: a further sample, without earlier rounds'")
    args = parser.parse_args()
    if args.step == "export":
        export(args.n, args.seed, args.model_uri, args.split, args.round)
    elif args.step == "variants":
        if len(args.pair) != 3 or not args.name:
            raise SystemExit("error: variants needs REPORT.json, two variant names and --name")
        export_variants(Path(args.pair[0]).resolve(), (args.pair[1], args.pair[2]), args.name, args.seed,
                        args.sample)
    else:
        report = tally(args.split, args.round, args.name)
        name = "summary_audit" if args.split == "test" else f"summary_audit_{args.split}"
        name += f"_{args.round}" if args.round > 1 else ""
        name = f"summary_audit_{args.name}" if args.name else name
        write_text_atomic(paths.REPORTS_DIR / f"{name}.md", report)
        print(report)
