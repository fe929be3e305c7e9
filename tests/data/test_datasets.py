"""Dataset splits: deterministic, disjoint, grouped by report; XSum test rows untouched; seed split separate."""

from __future__ import annotations

import json
from dataclasses import replace

from accord import paths
from accord.data.corpus import load_corpus
from accord.data.datasets import DataConfig, classification_datasets, lede_pairs, report_datasets, xsum_datasets


def _articles(ds) -> set[str]:
    return set(ds["article_id"])


def test_classification_splits_are_disjoint_grouped_and_complete() -> None:
    corpus = load_corpus()
    dd = classification_datasets(corpus=corpus)
    assert list(dd) == ["train", "validation", "test", "seed"]
    arts = {k: _articles(v) for k, v in dd.items()}
    assert not (arts["train"] & arts["validation"]) and not (arts["train"] & arts["test"])
    assert not (arts["validation"] & arts["test"])
    assert sum(len(v) for k, v in dd.items() if k != "seed") == len(corpus.by_source("curated"))
    assert set(dd["seed"]["source"]) == {"seed"} and len(dd["seed"]) == len(corpus.by_source("seed"))
    assert "seed" not in set(dd["train"]["source"])
    for name in ("validation", "test"):  # every label present in every held-out split
        labels = {x for row in dd[name]["labels"] for x in row}
        assert labels == {"trade", "defence", "technology", "people_to_people", "visas"}
    n = sum(len(dd[k]) for k in ("train", "validation", "test"))
    assert 0.6 < len(dd["train"]) / n < 0.8


def test_classification_splits_are_deterministic_and_seeded() -> None:
    corpus = load_corpus()
    a = classification_datasets(corpus=corpus)
    b = classification_datasets(corpus=corpus)
    c = classification_datasets(replace(DataConfig(), seed=7), corpus=corpus)
    assert all(a[k]["id"] == b[k]["id"] for k in a)
    assert a["test"]["id"] != c["test"]["id"]


def test_report_splits_follow_the_sentence_splits() -> None:
    corpus = load_corpus()
    clf = classification_datasets(corpus=corpus)
    rep = report_datasets(corpus=corpus)
    for name in ("train", "validation", "test"):
        assert set(rep[name]["id"]) == _articles(clf[name])


def test_xsum_split_keeps_test_rows_801_to_1000(xsum_file) -> None:
    rows = [json.loads(line) for line in xsum_file.read_text(encoding="utf-8").splitlines()]
    dd = xsum_datasets()
    assert dd["test"]["id"] == [r["id"] for r in rows[800:]]
    train_val = set(dd["train"]["id"]) | set(dd["validation"]["id"])
    assert train_val == {r["id"] for r in rows[:800]}
    assert not set(dd["train"]["id"]) & set(dd["validation"]["id"])
    assert len(dd["validation"]) == DataConfig().xsum_validation_size
    assert xsum_datasets()["validation"]["id"] == dd["validation"]["id"]


def test_lede_pairs_of_the_seeds() -> None:
    ds = lede_pairs(paths.SEEDS_DIR)
    assert len(ds) == 2
    first = ds[0]
    assert first["summary"].startswith("Party General Secretary Tô Lâm received")
    assert "Party General Secretary Tô Lâm received" not in first["document"]
