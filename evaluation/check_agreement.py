"""The briefs' agreement check against blind readers: does a summary that its own draws disagree with carry the
readers' serious errors?

    python evaluation/check_agreement.py draw validation   # the champion's draws -> reports/agreement/draws_*.json
    python evaluation/check_agreement.py draw test
    python evaluation/check_agreement.py draw validation --model-uri models:/accord-summariser/3 \
        --out draws_validation_v3.json                     # another version's draws, in their own file
    python evaluation/check_agreement.py report            # -> reports/agreement/check_agreement.md
    python evaluation/check_agreement.py report --use-draws 2   # the first 2 stored draws: what 2 draws give
                                                           # (a draw is seeded by its document and number alone)
    python evaluation/check_agreement.py sheet champion-full-v3 --model-uri models:/accord-summariser/3
                                                           # another version's test sheet, drawn now
    python evaluation/check_agreement.py sheet test-2      # the second real test set's sheet
    python evaluation/check_agreement.py pair validation-v1-v3 --draws v1=draws_validation.json \
        --draws v3=draws_validation_v3.json                # two versions read side by side on validation

Validation (the audit sheets ``validation``, ``validation-2``, ``validation-3``: all 114 articles) is where the
threshold is chosen, by the rule in docs/decisions.md; test (the current champion's sheet ``champion-rebuilt-v1``
and its logged real-test predictions) only measures it. Draws use the champion's own generation settings.
"""

from __future__ import annotations

import argparse
import json
import sys

from audit_summaries import AUDIT_DIR, SERIOUS
from check_recall import logged_predictions, system_labels

from accord import paths, tracking
from accord.data.datasets import DataConfig, real_summary_datasets, second_real_test
from accord.io import write_text_atomic
from accord.summarise.config import GenerationArguments
from accord.summarise.guard import soundness_problems
from accord.summarise.rerank import agreement

OUT = paths.REPORTS_DIR / "agreement"
SHEETS = {"validation": ("validation", "validation-2", "validation-3"), "test": ("champion-rebuilt-v1",)}
TEST_RUN = "d3ba9dd7a8194cdc83e0609e85a34b8c"  # the champion's logged real-test evaluation run (samples.json)
DRAWS = GenerationArguments().agreement_draws  # as briefs draw
GRID = [round(0.30 + 0.02 * k, 2) for k in range(16)]  # thresholds shown for validation (0.30-0.60)


def draw(split: str, model_uri: str = tracking.SUMMARISER_URI, name: str = "") -> None:
    """The model's draws of every article of the split, into ``draws_<split>.json`` (or ``name``)."""
    from accord.summarise.benchmark import neural_summariser

    summ = neural_summariser(model_uri, None)
    items = real_summary_datasets(DataConfig())[split].to_list()
    found = {}
    for s in range(0, len(items), 5):  # a line of progress every 5 articles
        batch = items[s:s + 5]
        found |= {r["id"]: {"draws": d} for r, d in zip(batch, summ.draws([r["document"] for r in batch], DRAWS),
                                                         strict=True)}
        print(f"{split}: {s + len(batch)} of {len(items)}", file=sys.stderr, flush=True)
    OUT.mkdir(parents=True, exist_ok=True)
    write_text_atomic(OUT / (name or f"draws_{split}.json"), json.dumps(found, indent=1, ensure_ascii=False) + "\n")


def read_sheets(sheets: tuple[str, ...], documents: dict[str, str], draws: dict, system: str = "champion",
                used: int = DRAWS) -> list[tuple[bool, bool, bool, float]]:
    """Per summary of ``system`` on the sheets: (reader: serious error, reader: no error, checks flag it, agreement
    with its first ``used`` draws)."""
    rows = []
    for name in sheets:
        for label, summary in system_labels(AUDIT_DIR / name, system):
            source = documents[label["id"]]
            rows.append((any(label[e] for e in SERIOUS), not any(v is True for v in label.values()),
                         bool(soundness_problems(summary, source)),
                         agreement(summary, draws[label["id"]]["draws"][:used])))
    return rows


def auroc(positive: list[float], negative: list[float]) -> float:
    """P(a serious summary agrees less than a sound one), ties counted half: the ranking quality of the check."""
    pairs = [(p < n) + 0.5 * (p == n) for p in positive for n in negative]
    return sum(pairs) / len(pairs) if pairs else float("nan")


def validation_lines(rows: list[tuple[bool, bool, bool, float]]) -> list[str]:
    shown = [r for r in rows if not r[2]]
    serious, sound = [r[3] for r in shown if r[0]], [r[3] for r in shown if not r[0]]
    lines = [f"## Validation ({len(rows)} champion summaries, {len(shown)} pass the checks: {len(serious)} with a "
             f"reader's serious error, {len(sound)} without)", "",
             f"AUROC of low agreement for a serious error: {auroc(serious, sound):.3f}", "",
             "| agreement below | serious errors caught | sound summaries flagged |", "|---|---|---|"]
    lines += [f"| {t:.2f} | {sum(a < t for a in serious)} of {len(serious)} | {sum(a < t for a in sound)} of "
              f"{len(sound)} |" for t in GRID]
    return lines


def sheet_lines(rows: list[tuple[bool, bool, bool, float]], threshold: float, title: str) -> list[str]:
    """What a brief shows of one sheet's summaries, with the checks alone and with the agreement check."""
    def count(flag: object) -> int:
        return sum(1 for r in rows if flag(r))
    return [f"## {title} ({len(rows)} summaries; threshold {threshold})", "",
            "| | checks only | checks + agreement |", "|---|---|---|",
            f"| serious errors shown in a brief | {count(lambda r: r[0] and not r[2])} | "
            f"{count(lambda r: r[0] and not r[2] and r[3] >= threshold)} |",
            f"| reader-clean summaries sent to the extract | {count(lambda r: r[1] and r[2])} of "
            f"{count(lambda r: r[1])} | {count(lambda r: r[1] and (r[2] or r[3] < threshold))} of "
            f"{count(lambda r: r[1])} |"]


def test_lines(rows: list[tuple[bool, bool, bool, float]], threshold: float, documents: dict[str, str],
               draws: dict, used: int = DRAWS) -> list[str]:
    lines = sheet_lines(rows, threshold, "Test, the champion's sheet")
    sheet_fallback = sum(1 for r in rows if r[2] or r[3] < threshold)
    lines.append(f"| brief fallback on the sheet's {len(rows)} summaries | {sum(1 for r in rows if r[2])} | "
                 f"{sheet_fallback} |")
    try:
        preds = logged_predictions(TEST_RUN)
    except Exception as exc:  # a store without that run (a fresh checkout): say so, keep the rest of the report
        return [*lines, f"| brief fallback, logged real-test predictions | run {TEST_RUN} is not in this store "
                        f"({type(exc).__name__}) | |"]
    flagged = {i for i, p in preds.items() if soundness_problems(p, documents[i])}
    unstable = {i for i, p in preds.items()
                if i not in flagged and agreement(p, draws[i]["draws"][:used]) < threshold}
    n = len(preds)
    both = flagged | unstable
    return [*lines, f"| brief fallback, {n} logged real-test predictions | {len(flagged)} "
            f"({100 * len(flagged) / n:.1f}%) | {len(both)} ({100 * len(both) / n:.1f}%) |"]


def sheet(name: str, model_uri: str, threshold: float) -> str:
    """Another version's test sheet: its summaries against the draws of ``model_uri`` (the version that wrote
    them), drawn now; the threshold stays the one chosen on validation."""
    from accord.summarise.benchmark import neural_summariser

    summ = neural_summariser(model_uri, None)
    data = DataConfig()  # the sheet's articles: real test or the second real test set (`test-2`)
    items = [*real_summary_datasets(data)["test"].to_list(), *second_real_test(data)]
    documents = {r["id"]: r["document"] for r in items}
    ids = sorted(json.loads((AUDIT_DIR / name / "key.json").read_text(encoding="utf-8"))["key"])
    draws = {i: {"draws": d} for i, d in zip(ids, summ.draws([documents[i] for i in ids], DRAWS), strict=True)}
    return "\n".join([f"# The agreement check on the sheet `{name}` (`{model_uri}`)", "",
                      *sheet_lines(read_sheets((name,), documents, draws), threshold, f"Test, sheet {name}")])


def pair(name: str, draws: dict[str, str], threshold: float) -> str:
    """A side-by-side validation sheet of two versions (``audit_summaries.py variants``): what each one's briefs
    would show, each summary against its own version's stored draws (``system=FILE`` under reports/agreement/)."""
    folder = AUDIT_DIR / name
    about = json.loads((folder / "key.json").read_text(encoding="utf-8"))
    documents = {r["id"]: r["document"] for r in real_summary_datasets(DataConfig())[about["split"]].to_list()}
    out = [f"# The agreement check on the side-by-side sheet `{name}` (real {about['split']})", ""]
    for system, file in draws.items():
        path = OUT / file
        if not path.is_file():
            raise SystemExit(f"error: {path}: no draws (check_agreement.py draw validation ... --out {file})")
        rows = read_sheets((name,), documents, json.loads(path.read_text(encoding="utf-8")), system)
        out += [*sheet_lines(rows, threshold, f"{system}, draws {file}"), ""]
    return "\n".join(out)


def report(threshold: float, used: int = DRAWS) -> str:
    data = real_summary_datasets(DataConfig())
    out = ["# The agreement check against blind readers", "",
           f"Mean ROUGE-L F1 between each champion summary and {used} seeded draws "
           f"(`python evaluation/check_agreement.py report --use-draws {used}`; the first {used} of the stored "
           f"draws).", ""]
    for split in ("validation", "test"):
        documents = {r["id"]: r["document"] for r in data[split].to_list()}
        path = OUT / f"draws_{split}.json"
        if not path.is_file():
            raise SystemExit(f"error: {path}: no draws (run: python evaluation/check_agreement.py draw {split})")
        draws = json.loads(path.read_text(encoding="utf-8"))
        rows = read_sheets(SHEETS[split], documents, draws, used=used)
        out += [*(validation_lines(rows) if split == "validation" else
                  test_lines(rows, threshold, documents, draws, used)), ""]
    return "\n".join(out)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("step", choices=("draw", "report", "sheet", "pair"))
    parser.add_argument("split", nargs="?", default="validation", help="draw: validation or test; sheet, pair: "
                                                                       "the audit folder's name")
    parser.add_argument("--draws", action="append", default=[], help="pair: SYSTEM=FILE, once per system")
    parser.add_argument("--model-uri", default=tracking.SUMMARISER_URI, help="the version that draws (sheet: that "
                                                                           "wrote it)")
    parser.add_argument("--out", default="", help="draw: file name under reports/agreement/ (default draws_SPLIT.json)")
    parser.add_argument("--threshold", type=float, default=GenerationArguments().agreement_min,
                        help="generation.agreement_min")
    parser.add_argument("--use-draws", type=int, default=DRAWS, metavar="N",
                        help="report: score with the first N stored draws (at least 1)")
    args = parser.parse_args()
    if args.use_draws < 1:
        raise SystemExit(f"error: --use-draws {args.use_draws}: at least 1")
    if args.step == "draw":
        if args.split not in SHEETS:
            raise SystemExit(f"error: draw: split {args.split!r}: validation or test")
        draw(args.split, args.model_uri, args.out)
    elif args.step == "pair":
        if not (AUDIT_DIR / args.split / "key.json").is_file() or not all("=" in d for d in args.draws):
            raise SystemExit("error: pair needs an audit folder with key.json and --draws SYSTEM=FILE per system")
        text = pair(args.split, dict(d.split("=", 1) for d in args.draws), args.threshold)
        write_text_atomic(OUT / f"pair_{args.split}.md", text + "\n")
        print(text)
    elif args.step == "sheet":
        if not (AUDIT_DIR / args.split / "key.json").is_file():
            raise SystemExit(f"error: {AUDIT_DIR / args.split}: no key.json (an audit sheet folder)")
        text = sheet(args.split, args.model_uri, args.threshold)
        write_text_atomic(OUT / f"sheet_{args.split}.md", text + "\n")
        print(text)
    else:
        text = report(args.threshold, args.use_draws)
        name = "check_agreement.md" if args.use_draws == DRAWS else f"check_agreement_{args.use_draws}_draws.md"
        write_text_atomic(OUT / name, text + "\n")
        print(text)
