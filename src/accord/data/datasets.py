"""Hugging Face ``DatasetDict``s for the classifier and the summariser, split deterministically.

- :func:`classification_datasets`: ``train`` (curated train reports + real train outlets + users' reviewed
  sentences); ``real_validation`` and ``real_test`` (published reports from outlets not in train: thresholds, the
  gate and the headline numbers); ``curated_validation`` and ``curated_test`` (our own invented reports, grouped by
  report and multi-label stratified: development numbers); ``seed``: every seed sentence, never trained on.
- :func:`xsum_datasets`: rows 1-800 of ``xsum-1000.jsonl`` -> ``train``/``validation``; rows 801-1000 -> ``test``.
- :func:`report_datasets`: the in-domain reports, split by report exactly like the classification splits.
- :func:`lede_pairs`: first sentence as reference, the rest as document, for any folder of ``.txt`` articles.

Run ``accord data build`` to validate, build, save under ``data/processed/`` and print statistics.
"""

from __future__ import annotations

import hashlib
import random
from collections import Counter, defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from datasets import Dataset, DatasetDict, Features, Sequence, Value
from iterstrat.ml_stratifiers import MultilabelStratifiedShuffleSplit

from accord.data.config import DataConfig, real_split_settings, train_round_dirs
from accord.data.corpus import Corpus, load_corpus
from accord.data.real import RealCorpus, add_round, apply_frozen, load_real, read_frozen, split_by_outlet
from accord.io import InputError, iter_jsonl
from accord.labels import LABELS, to_multi_hot
from accord.text import article_sentences, is_furniture

XSUM_TRAIN_ROWS = 800  # rows 1-800: train + validation; rows 801-1000: test, never trained or tuned on
CLASSIFICATION_SPLITS = ("train", "real_validation", "real_test", "curated_validation", "curated_test", "seed")
UNUSED = "unused"  # real_train articles left out by data.real_train_fraction
GATE_SPLIT = "real_validation"  # thresholds, early stopping and the promotion gate: real news from unseen outlets

SENTENCE_FEATURES = Features(
    {
        "id": Value("string"),
        "article_id": Value("string"),
        "sentence_index": Value("int32"),
        "text": Value("string"),
        "labels": Sequence(Value("string")),
        "source": Value("string"),
    }
)
SUMMARY_FEATURES = Features(
    {"id": Value("string"), "document": Value("string"), "summary": Value("string"), "title": Value("string")}
)


def split_arrays(ds: Any) -> tuple[list[str], list[str], np.ndarray]:
    """``(ids, texts, multi-hot y)`` of a classification split, labels in :data:`~accord.labels.LABELS` order."""
    y = np.array([to_multi_hot(labels) for labels in ds["labels"]], dtype=int).reshape(-1, len(LABELS))
    return list(ds["id"]), list(ds["text"]), y


def article_targets(rows: list[dict[str, Any]]) -> list[int]:
    """Stratification targets of one report: has each class, and has it at least twice (heavy)."""
    counts = Counter(label for r in rows for label in (r["labels"] or ["other"]))
    classes = (*LABELS, "other")
    return [int(counts[c] >= 1) for c in classes] + [int(counts[c] >= 2) for c in classes]


def split_articles(sentences: list[dict[str, Any]], cfg: DataConfig) -> dict[str, str]:
    """Assign every article to ``train``/``validation``/``test``: grouped by article, multi-label stratified."""
    by_article: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for s in sentences:
        by_article[s["article_id"]].append(s)
    ids = sorted(by_article)
    if len(ids) < 3:
        raise ValueError(f"need at least 3 articles to split, got {len(ids)}")
    y = np.array([article_targets(by_article[a]) for a in ids])
    x = np.zeros((len(ids), 1))
    held_out = cfg.validation_fraction + cfg.test_fraction
    first = MultilabelStratifiedShuffleSplit(n_splits=1, test_size=held_out, random_state=cfg.seed)
    train_idx, rest_idx = next(first.split(x, y))
    second = MultilabelStratifiedShuffleSplit(
        n_splits=1, test_size=cfg.test_fraction / held_out, random_state=cfg.seed
    )
    val_rel, test_rel = next(second.split(x[rest_idx], y[rest_idx]))
    assignment = {ids[i]: "train" for i in train_idx}
    assignment |= {ids[rest_idx[i]]: "validation" for i in val_rel}
    assignment |= {ids[rest_idx[i]]: "test" for i in test_rel}
    return assignment


def _sentence_dataset(rows: list[dict[str, Any]]) -> Dataset:
    rows = sorted(rows, key=lambda r: (r["article_id"], r["sentence_index"]))
    return Dataset.from_list([{k: r[k] for k in SENTENCE_FEATURES} for r in rows], features=SENTENCE_FEATURES)


def load_real_corpus(cfg: DataConfig) -> RealCorpus:
    """The real corpus strictly: the first schema error raises."""
    real, errors = load_real(cfg.real_articles_path, cfg.real_sentences_path)
    for folder in train_round_dirs(cfg):
        errors += add_round(real, folder)
    if errors:
        raise errors[0]
    return real


def real_assignment(cfg: DataConfig, real: RealCorpus) -> dict[str, str]:
    """Article id -> ``real_train`` / ``real_validation`` / ``real_test``: the frozen splits when they were made with
    this config (articles added since then train), else a fresh seeded split by outlet."""
    frozen = read_frozen(cfg.real_splits_path, real_split_settings(cfg))
    if frozen is None:
        assignment = split_by_outlet(real, cfg.real_validation_fraction, cfg.real_test_fraction, cfg.seed)
    else:
        assignment, errors = apply_frozen(real, frozen, cfg.real_articles_path)
        if errors:
            raise errors[0]
    return thin_real_train(assignment, cfg.real_train_fraction, cfg.seed)


def thin_real_train(assignment: dict[str, str], fraction: float, seed: int) -> dict[str, str]:
    """Keep ``fraction`` of the real_train articles (a seeded draw by article) and mark the rest ``unused``, so a
    learning curve trains on less real news while validation and test stay exactly as they are."""
    train = sorted(aid for aid, name in assignment.items() if name == "real_train")
    if fraction >= 1.0 or not train:
        return assignment
    keep = round(len(train) * fraction)
    order = np.random.default_rng(seed).permutation(len(train))
    dropped = {train[i] for i in order[keep:]}
    return {aid: UNUSED if aid in dropped else name for aid, name in assignment.items()}


def classification_datasets(cfg: DataConfig | None = None, corpus: Corpus | None = None,
                            real: RealCorpus | None = None, validation_in_train: bool = False) -> DatasetDict:
    """Every classification split (:data:`CLASSIFICATION_SPLITS`), curated and real, grouped as documented above.
    ``validation_in_train``: real validation's sentences also train (a refit), and its scores become in-sample."""
    cfg = cfg or DataConfig()
    corpus = corpus or load_corpus(Path(cfg.sentences_path), Path(cfg.reports_path))
    real = real or load_real_corpus(cfg)
    curated = corpus.by_source("curated")
    curated_split = split_articles(curated, cfg)
    parts: dict[str, list[dict[str, Any]]] = {name: [] for name in CLASSIFICATION_SPLITS}
    for s in curated:
        name = curated_split[s["article_id"]]
        parts["train" if name == "train" else f"curated_{name}"].append(s)
    real_split = real_assignment(cfg, real)
    for s in real.sentences:
        name = real_split.get(s["article_id"], "real_train") if s["source"] == "real" else "real_train"
        if name == UNUSED:
            continue
        parts["train" if name == "real_train" else name].append(s)
    parts["seed"] = corpus.by_source("seed")
    if validation_in_train:
        parts["train"] += parts[GATE_SPLIT]
    parts["train"] = thinned_other(parts["train"], cfg.train_other_share, cfg.seed)
    return DatasetDict({name: _sentence_dataset(rows) for name, rows in parts.items()})


def thinned_other(rows: list[dict[str, Any]], share: float, seed: int) -> list[dict[str, Any]]:
    """``rows`` with each label-less sentence kept with probability ``share`` (a seeded draw per sentence id, so a
    sentence's fate does not depend on which others are there), every labelled one kept, order unchanged."""
    if share >= 1.0:
        return rows
    return [r for r in rows if r["labels"] or _unit_draw(f"{seed}:{r['id']}") < share]


def _unit_draw(key: str) -> float:
    """A number in [0, 1) fixed by ``key``: the first 8 bytes of its SHA-256."""
    return int.from_bytes(hashlib.sha256(key.encode("utf-8")).digest()[:8], "big") / 2**64


def report_datasets(cfg: DataConfig | None = None, corpus: Corpus | None = None) -> DatasetDict:
    """In-domain summarisation pairs (report text -> reference summary), split by report like the classifier."""
    cfg = cfg or DataConfig()
    corpus = corpus or load_corpus(Path(cfg.sentences_path), Path(cfg.reports_path))
    assignment = split_articles(corpus.by_source("curated"), cfg)
    parts: dict[str, list[dict[str, str]]] = {"train": [], "validation": [], "test": []}
    for r in sorted(corpus.reports, key=lambda r: r["article_id"]):
        row = {"id": r["article_id"], "document": r["text"], "summary": r["summary"], "title": r["title"]}
        parts[assignment[r["article_id"]]].append(row)
    return DatasetDict({k: Dataset.from_list(v, features=SUMMARY_FEATURES) for k, v in parts.items()})


def news_document(rows: list[dict[str, Any]], keep_furniture: bool = False) -> str:
    """An article's sentences in order as the summariser's document. Scored documents leave out the sentences
    that are only page furniture ("Photo : YONHAP News"), as briefs and ``accord summarise`` do, so the scores are
    the served input's; training documents keep them (``keep_furniture``): a model trained without them lost to
    the champion at the gate (docs/decisions.md). An article of furniture alone keeps it."""
    ordered = [r["text"] for r in sorted(rows, key=lambda r: r["sentence_index"])]
    return " ".join(ordered if keep_furniture else [t for t in ordered if not is_furniture(t)] or ordered)


def real_summary_datasets(cfg: DataConfig | None = None, real: RealCorpus | None = None) -> DatasetDict:
    """Real summarisation pairs (the article's clean sentences -> its reference summary), split by outlet like the
    classifier: ``train`` / ``validation`` / ``test`` = the real_train / real_validation / real_test articles;
    validation and test without page furniture (:func:`news_document`)."""
    cfg = cfg or DataConfig()
    real = real or load_real_corpus(cfg)
    split = real_assignment(cfg, real)
    sentences: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for s in real.sentences:
        if s["source"] == "real":
            sentences[s["article_id"]].append(s)
    parts: dict[str, list[dict[str, str]]] = {"train": [], "validation": [], "test": []}
    for aid in sorted(real.articles):
        if not sentences[aid] or split[aid] == UNUSED:
            continue
        art, part = real.articles[aid], split[aid].removeprefix("real_")
        document = news_document(sentences[aid], keep_furniture=part == "train")
        parts[part].append({"id": aid, "document": document, "summary": art["summary"],
                            "title": art.get("title") or ""})
    return DatasetDict({k: Dataset.from_list(v, features=SUMMARY_FEATURES) for k, v in parts.items()})


def second_real_test(cfg: DataConfig | None = None) -> list[dict[str, str]]:
    """Summary pairs of the second real test set (``data.second_test_dir``): its reports whose outlet or writing
    agency is in no corpus split, built as :func:`real_summary_datasets` builds them; [] where there is none."""
    cfg = cfg or DataConfig()
    folder = Path(cfg.second_test_dir)
    if not (folder / "articles.jsonl").is_file():
        return []
    return folder_summary_pairs(folder, keep=lambda a: not a.get("outlet_in_corpus"))


def folder_summary_pairs(folder: str | Path, keep: Callable[[dict[str, Any]], bool] = lambda a: True
                         ) -> list[dict[str, str]]:
    """Summary pairs of a labelled folder (``articles.jsonl`` + ``sentences.jsonl``: a round or the second test
    set), documents built as real validation's (no page furniture), so a decoding choice measured on a round that no
    summariser has used reads the served input. The first malformed row raises (FILE:LINE)."""
    folder = Path(folder)
    errors: list[InputError] = []
    articles = {a["article_id"]: a for _, a in iter_jsonl(folder / "articles.jsonl", errors) if keep(a)}
    sentences: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for _, s in iter_jsonl(folder / "sentences.jsonl", errors):
        sentences[s["article_id"]].append(s)
    if errors:
        raise errors[0]
    return [{"id": aid, "document": news_document(sentences[aid]), "summary": art["summary"],
             "title": art.get("title") or ""} for aid, art in sorted(articles.items()) if sentences[aid]]


def read_xsum(path: str | Path) -> list[dict[str, str]]:
    """Rows of the XSum file in file order; a bad row raises InputError naming its line."""
    errors: list[InputError] = []
    rows = []
    for line, obj in iter_jsonl(path, errors):
        if not isinstance(obj.get("document"), str) or not isinstance(obj.get("summary"), str):
            raise InputError(path, "row needs string fields 'document' and 'summary'", line)
        rows.append({"id": str(obj.get("id", line)), "document": obj["document"], "summary": obj["summary"],
                     "title": ""})
    if errors:
        raise errors[0]
    if len(rows) <= XSUM_TRAIN_ROWS:
        raise InputError(path, f"expected more than {XSUM_TRAIN_ROWS} rows (rows 801+ are the test split)")
    return rows


def xsum_datasets(cfg: DataConfig | None = None) -> DatasetDict:
    """Rows 1-800 shuffled with the seed into ``train``/``validation``; rows 801-1000 are ``test`` (report only)."""
    cfg = cfg or DataConfig()
    rows = read_xsum(cfg.xsum_path)
    trainval, test = rows[:XSUM_TRAIN_ROWS], rows[XSUM_TRAIN_ROWS:]
    order = list(range(len(trainval)))
    random.Random(cfg.seed).shuffle(order)
    val_idx = sorted(order[: cfg.xsum_validation_size])
    train_idx = sorted(order[cfg.xsum_validation_size:])
    return DatasetDict(
        {
            "train": Dataset.from_list([trainval[i] for i in train_idx], features=SUMMARY_FEATURES),
            "validation": Dataset.from_list([trainval[i] for i in val_idx], features=SUMMARY_FEATURES),
            "test": Dataset.from_list(test, features=SUMMARY_FEATURES),
        }
    )


def lede_pairs(folder: str | Path) -> Dataset:
    """Lede pairs from ``*.txt`` articles: the first sentence is the reference, the rest the document."""
    rows = []
    for p in sorted(Path(folder).glob("*.txt")):
        sentences = article_sentences(p)
        if len(sentences) < 2:
            raise InputError(p, "needs at least two sentences for a lede pair")
        rows.append({"id": p.stem, "document": " ".join(sentences[1:]), "summary": sentences[0], "title": ""})
    if not rows:
        raise InputError(folder, "no .txt articles found")
    return Dataset.from_list(rows, features=SUMMARY_FEATURES)
