"""The dataset card ``data/DATASET.md``, generated from the data (``accord data card``), never typed by hand."""

from __future__ import annotations

import statistics
from collections import Counter
from pathlib import Path

from datasets import DatasetDict

from accord.data.config import real_split_settings, train_round_dirs
from accord.data.corpus import Corpus, label_counts, load_corpus
from accord.data.datasets import (
    UNUSED,
    DataConfig,
    classification_datasets,
    load_real_corpus,
    real_assignment,
    report_datasets,
    xsum_datasets,
)
from accord.data.real import (
    MEASURE_ONLY,
    RELABELLINGS,
    RealCorpus,
    agreement,
    load_real,
    measures_only,
    read_frozen,
    relabel_chain,
    relabelled,
)
from accord.labels import LABELS, OTHER

COLUMNS = ("sentences", "reports", *LABELS, OTHER, "multi_label")


def split_table(dd: DatasetDict) -> str:
    """Markdown table: per split, sentences, reports and sentences per label."""
    head = "| split | " + " | ".join(COLUMNS) + " |"
    lines = [head, "|" + "---|" * (len(COLUMNS) + 1)]
    for name, ds in dd.items():
        rows = ds.to_list()
        counts = label_counts(rows)
        counts["reports"] = len({r["article_id"] for r in rows})
        lines.append(f"| {name} | " + " | ".join(str(counts[c]) for c in COLUMNS) + " |")
    return "\n".join(lines)


def _spread(values: list[int]) -> str:
    return f"{min(values)} / {statistics.median(values):g} / {max(values)}"


def _xsum_line(cfg: DataConfig) -> str:
    try:
        return ", ".join(f"{k} {len(v)}" for k, v in xsum_datasets(cfg).items())
    except Exception as exc:  # the card still documents the corpus when the shared file is absent
        return f"not available here ({exc})"


INTRO = [
    "## What it is",
    "English sentences from reports of bilateral diplomatic meetings, each labelled with every cooperation "
    f"category it substantively mentions ({', '.join(LABELS)}; none = `{OTHER}`), following `data/LABELS.md`.",
    "- `seed`: every sentence of the two real seed reports in `seeds/` (Viet Nam News, 21 Nov 2025), split by "
    "the project's splitter and gold-labelled. Never trained on by default: it measures the models on real text.",
    "- `real`: published English news reports of diplomatic meetings from many outlets (below): the text Accord "
    "is for. Its test split holds outlets the models never saw: the headline numbers.",
    "- `curated`: short wire-style reports of bilateral meetings across many country pairs, written sentence by "
    "sentence for this project (no templates), each with a faithful one-sentence reference summary. They are "
    "invented: some name real office-holders, but every statement, figure and meeting in them is fictional. "
    "Use them to train and test models, never as a source of facts.",
]
FILES = [
    "## Files",
    "- `real/articles.jsonl`: `{article_id, url, outlet, outlet_country, source_group, date, title, partial, meeting, "
    "text, summary, provenance}`; `real/sentences.jsonl`: `{id, article_id, sentence_index, text, labels, labels_a, "
    "labels_b, adjudicated, source}`; `real/_collect/` and `real/_label/`: what the collectors and each pass wrote.",
    "- `sentences.jsonl`: `{id, article_id, sentence_index, text, labels, source}`; `labels` empty = other.",
    "- `reports.jsonl`: `{article_id, title, dateline, text, summary}`; `text` is the report's sentences in "
    "order, joined by single spaces.",
]


def _combinations(curated: list[dict]) -> list[str]:
    pairs: Counter[str] = Counter("+".join(s["labels"]) for s in curated if len(s["labels"]) >= 2)
    return ["## Multi-label combinations (curated)", "| labels | sentences |", "|---|---|",
            *(f"| {k} | {v} |" for k, v in sorted(pairs.items(), key=lambda kv: (-kv[1], kv[0])))]


def _reports_section(cfg: DataConfig, corpus: Corpus) -> list[str]:
    reports = report_datasets(cfg, corpus)
    per_report = Counter(s["article_id"] for s in corpus.by_source("curated"))
    return [
        "## Reports and summaries",
        f"- Curated reports: {len(corpus.reports)} ({', '.join(f'{k} {len(v)}' for k, v in reports.items())}).",
        f"- Sentences per report (min / median / max): {_spread(list(per_report.values()))}.",
        f"- Words per sentence, all sentences (min / median / max): "
        f"{_spread([len(s['text'].split()) for s in corpus.sentences])}.",
        f"- Words per reference summary (min / median / max): "
        f"{_spread([len(r['summary'].split()) for r in corpus.reports])}.",
        f"- XSum (`{Path(cfg.xsum_path).name}`; rows 801-1000 are test, never trained or tuned on): "
        f"{_xsum_line(cfg)}.",
    ]


REAL_TERMS = [
    "Terms: the real articles are short excerpts of published news reports, kept as published (agency furniture, "
    "typos and all) with their address, outlet and date, for research and evaluation of this tool only; copyright "
    "stays with the outlets. They were found through the stored copies of public web pages in the project's search "
    "tool; a text that reaches the store's excerpt limit, or was visibly cut, is marked `partial` and its cut-off "
    "last fragment is not labelled. Reports listed as held out for the project's own evaluation, and other copies "
    "of the same reports, were excluded (`accord data validate` checks the addresses).",
]


def kappa_text(value: float | None) -> str:
    """A kappa for the card: three decimals, or ``n/a`` where the label's agreement is undefined."""
    return "n/a" if value is None else f"{value:.3f}"


def _kappas(kappa: dict[str, float | None]) -> str:
    """Per-label kappas as one clause: ``trade 0.979, defence n/a, ...``."""
    return ", ".join(f"{name} {kappa_text(value)}" for name, value in kappa.items())


def _relabel_lines(rows: list[dict]) -> list[str]:
    """Each blind relabelling the corpus has had (docs/decisions.md), one paragraph each."""
    lines = []
    for procedure, (what, picked, script) in RELABELLINGS.items():
        relabel = relabelled(rows, procedure)
        if relabel is None:
            continue
        lines += ["", f"Relabelled blind ({what}, {picked}; `data/real/scripts/{script}`): "
                  f"{relabel['sentences']} sentences in two new passes, Cohen's kappa {_kappas(relabel['kappa'])}; "
                  f"macro-F1 {relabel['macro_f1_b_vs_a']:.3f}; {relabel['disagreements']} disagreements adjudicated; "
                  f"the gold label set changed on {relabel['changed']}."]
    return lines


def _round_relabellings(rows: list[dict]) -> str:
    """The blind relabellings a kept-apart round has had since its passes (``relabel_round.py``), one clause each."""
    parts = []
    for procedure in sorted({record["procedure"] for r in rows for record, _, _ in relabel_chain(r)}):
        stats = relabelled(rows, procedure)
        parts.append(f"`{procedure}` {stats['sentences']} sentences (macro-F1 {stats['macro_f1_b_vs_a']:.3f}, "
                     f"{stats['changed']} label set{'' if stats['changed'] == 1 else 's'} changed)")
    return f" Relabelled blind since: {'; '.join(parts)}." if parts else ""


def _real_section(cfg: DataConfig, real: RealCorpus) -> list[str]:
    arts = list(real.articles.values())
    rows = [s for s in real.sentences if s["source"] == "real"]
    split = real_assignment(cfg, real)
    agree = agreement(rows)
    kappa = " | ".join(kappa_text(v) for v in agree["kappa"].values())
    lines = [
        "## Real articles (`data/real/`)",
        f"- {len(arts)} published reports of bilateral or small-group meetings from {len({a['outlet'] for a in arts})} "
        f"outlets ({len({a['source_group'] for a in arts})} writing agencies or outlets) based in "
        f"{len({a.get('outlet_country') for a in arts if a.get('outlet_country')})} countries; "
        f"{sum(a['partial'] for a in arts)} partial; {len(rows)} labelled sentences"
        + (f" and {len(real.sentences) - len(rows)} reviewed by users" if len(real.sentences) > len(rows) else "")
        + ".",
        f"- Split by outlet (articles sharing an outlet or a writing agency stay together; seed {cfg.seed}): "
        + ", ".join(f"{name} {sum(1 for v in split.values() if v == name)} articles"
                    for name in ("real_train", "real_validation", "real_test"))
        + (f", {sum(1 for v in split.values() if v == UNUSED)} real_train articles left unused "
           f"(`data.real_train_fraction` {cfg.real_train_fraction})" if cfg.real_train_fraction < 1 else "") + "."
        + (f" Validation and test are frozen in `{Path(cfg.real_splits_path).name}` (made with these settings): "
           "articles added later train unless a round is pinned to validation (rounds 7, 11 and 12, from outlets in no "
           "split), and one from a validation or test outlet is refused."
           if read_frozen(cfg.real_splits_path, real_split_settings(cfg)) else ""),
        "- Labels: two independent passes by the guideline, disagreements adjudicated by the guideline (rules that "
        "adjudication settled are in `data/LABELS.md`). Both passes were made by separate instances of the same "
        "kind of annotator (an LLM agent reading each article), so agreement is likely higher than between two "
        "people would be.",
        "",
        f"| agreement over {agree['sentences']} sentences | " + " | ".join(LABELS) + " |",
        "|---|" + "---|" * len(LABELS),
        f"| Cohen's kappa | {kappa} |",
        "",
        f"Pass B against pass A: macro-F1 {agree['macro_f1_b_vs_a']:.3f}; {agree['disagreements']} sentences "
        f"disagreed, {agree['adjudicated']} adjudicated.",
        *_relabel_lines(rows),
        "",
        *REAL_TERMS,
    ]
    return lines


def _rounds_section(cfg: DataConfig) -> list[str]:
    """Labelled rounds kept apart from the corpus (``data/real/round*/``): what each is for and its two-pass
    agreement, so every labelled real sentence in the repository has its agreement in the card."""
    named = {Path(d).resolve() for d in train_round_dirs(cfg)}
    lines = ["## Labelled rounds kept apart (`data/real/round*/`)",
             "Collected and labelled like the corpus (two blind passes, adjudicated) but not in its splits.", ""]
    for folder in sorted(Path(cfg.real_articles_path).parent.glob("round*/")):
        part, errors = load_real(folder / "articles.jsonl", folder / "sentences.jsonl")
        if errors or not part.sentences:
            continue
        agree = agreement(part.sentences)
        use = ("the second real test set (`data.second_test_dir`): never trained or tuned on"
               if folder.resolve() == Path(cfg.second_test_dir).resolve() else
               f"collected {MEASURE_ONLY}, from outlets in no other data: never trained or tuned on"
               if measures_only(part.articles) else
               "joins real_train in this config (`data.train_rounds`)" if folder.resolve() in named else
               "trains only where a config names it in `data.train_rounds`")
        lines.append(f"- `{folder.name}/`: {len(part.articles)} reports from "
                     f"{len({a['outlet'] for a in part.articles.values()})} outlets, {len(part.sentences)} "
                     f"sentences; {use}. Cohen's kappa {_kappas(agree['kappa'])}; pass B against pass A macro-F1 "
                     f"{agree['macro_f1_b_vs_a']:.3f}; {agree['disagreements']} disagreed, "
                     f"{agree['adjudicated']} adjudicated." + _round_relabellings(part.sentences))
    return lines if len(lines) > 3 else []


def render_card(cfg: DataConfig | None = None, corpus: Corpus | None = None) -> str:
    """The whole dataset card as Markdown."""
    cfg = cfg or DataConfig()
    corpus = corpus or load_corpus(Path(cfg.sentences_path), Path(cfg.reports_path))
    real = load_real_corpus(cfg)
    head = ["# Dataset card: Accord cooperation corpus", "",
            "Generated by `accord data card` from `data/sentences.jsonl`, `data/reports.jsonl` and `data/real/`; do "
            "not edit by hand.",
            f"Split seed {cfg.seed}; validation/test fractions {cfg.validation_fraction}/{cfg.test_fraction} of "
            "reports.", ""]
    splits = ["## Classification splits (sentences per label)",
              "`train` = curated train reports + real train outlets (+ sentences users reviewed). `real_validation` "
              "(thresholds, early stopping, the promotion gate) and `real_test` (the headline numbers) hold whole "
              "outlets that are not in train. Curated reports are split by report, multi-label stratified: "
              "`curated_validation` and `curated_test` give development numbers on our own text.", "",
              split_table(classification_datasets(cfg, corpus, real))]
    sections = [INTRO, _real_section(cfg, real), _rounds_section(cfg), splits,
                _combinations(corpus.by_source("curated")), _reports_section(cfg, corpus), FILES]
    return "\n".join(head + [line for section in sections for line in [*section, ""]])
