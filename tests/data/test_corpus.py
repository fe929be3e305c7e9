"""Corpus validation: the real corpus passes, each kind of bad record is named with file and line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from accord import paths
from accord.data.corpus import Minimums, label_counts, load_corpus, near_duplicates, validate
from accord.labels import LABELS, OTHER


def test_real_corpus_is_valid() -> None:
    assert [str(e) for e in validate()] == []


def test_real_corpus_meets_minimums_and_holds_every_seed_sentence() -> None:
    corpus = load_corpus()
    counts = label_counts(corpus.by_source("curated"))
    m = Minimums()
    assert counts["sentences"] >= m.sentences and counts[OTHER] >= m.other and counts["multi_label"] >= m.multi_label
    assert all(counts[name] >= m.per_label for name in LABELS)
    seeds = corpus.by_source("seed")
    assert {s["article_id"] for s in seeds} == {p.stem for p in paths.SEEDS_DIR.glob("*.txt")}
    assert len(seeds) == 33


def test_tiny_corpus_is_valid(tiny_corpus: tuple[Path, Path, Path]) -> None:
    assert validate(*tiny_corpus, minimums=None) == []


def _mutate(path: Path, line: int, change: dict | None = None, raw: str | None = None) -> None:
    lines = path.read_text(encoding="utf-8").splitlines()
    if raw is not None:
        lines[line - 1] = raw
    else:
        row = json.loads(lines[line - 1])
        row.update(change or {})
        lines[line - 1] = json.dumps(row, ensure_ascii=False)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


@pytest.mark.parametrize(
    ("line", "change", "raw", "message"),
    [
        (2, {"labels": ["economy"]}, None, "unknown label"),
        (2, {"labels": ["other"]}, None, "other is written as an empty list"),
        (3, {"source": "web"}, None, "source must be one of"),
        (4, {"text": 5}, None, "field 'text' must be str"),
        (4, {"text": "   "}, None, "empty text"),
        (5, None, '{"id": "x"', "malformed JSON"),
        (6, {"id": "r1-0"}, None, "duplicate id 'r1-0'"),
        (7, {"text": "Ministers agreed to raise two-way trade to US$5 billion."}, None, "duplicate text"),
        (7, {"text": "Ministers agreed to raise two-way trade to US$5 billion soon."}, None,
         "near-duplicate of line 1"),
        (8, {"text": "Two sentences here. Not one."}, None, "not exactly one clean sentence"),
        (9, {"sentence_index": 7}, None, "sentence_index is not"),
    ],
)
def test_bad_sentence_records_are_named(tiny_corpus: tuple[Path, Path, Path], line: int, change: dict | None,
                                        raw: str | None, message: str) -> None:
    sentences, reports, seeds = tiny_corpus
    _mutate(sentences, line, change, raw)
    errors = validate(sentences, reports, seeds, minimums=None)
    hits = [e for e in errors if message in str(e)]
    assert hits, [str(e) for e in errors]
    assert str(sentences) in str(hits[0])


def test_error_carries_the_line(tiny_corpus: tuple[Path, Path, Path]) -> None:
    sentences, reports, seeds = tiny_corpus
    _mutate(sentences, 2, {"labels": ["economy"]})
    errors = [str(e) for e in validate(sentences, reports, seeds, minimums=None)]
    assert errors[0] == f"{sentences}:2: unknown label(s) ['economy']; allowed: {list(LABELS)}"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"text": "Something else entirely."}, "text is not its sentences joined in order"),
        ({"summary": "Too short to be a summary."}, "summary has 6 words"),
        ({"article_id": "r9"}, "has no curated sentences"),
    ],
)
def test_bad_reports_are_named(tiny_corpus: tuple[Path, Path, Path], change: dict, message: str) -> None:
    sentences, reports, seeds = tiny_corpus
    _mutate(reports, 1, change)
    errors = [str(e) for e in validate(sentences, reports, seeds, minimums=None)]
    assert any(message in e and e.startswith(f"{reports}:1: ") for e in errors), errors


def test_report_length_bounds(tiny_corpus: tuple[Path, Path, Path]) -> None:
    errors = [str(e) for e in validate(*tiny_corpus, minimums=Minimums(0, 0, 0, 0))]
    assert all("has 3 sentences, want (8, 14)" in e for e in errors) and len(errors) == 4


def test_minimums_fail_on_a_small_corpus(tiny_corpus: tuple[Path, Path, Path]) -> None:
    errors = [str(e) for e in validate(*tiny_corpus)]
    assert any("curated corpus has 12 sentences sentences, needs >= 700" in e for e in errors)
    assert any("visas sentences, needs >= 90" in e for e in errors)


def test_seed_sentences_must_match_the_seed_file(tiny_corpus: tuple[Path, Path, Path], tmp_path: Path) -> None:
    sentences, reports, seeds = tiny_corpus
    (seeds / "s1.txt").write_text("HÀ NỘI — The first sentence is here. The second one follows. — VNS", "utf-8")
    with sentences.open("a", encoding="utf-8") as fh:
        for i, text in enumerate(["The first sentence is here.", "The second one differs."]):
            fh.write(json.dumps({"id": f"s1-{i}", "article_id": "s1", "sentence_index": i, "text": text,
                                 "labels": [], "source": "seed"}) + "\n")
    errors = [str(e) for e in validate(sentences, reports, seeds, minimums=None)]
    assert len(errors) == 1 and "differs from its file's sentences at index 1" in errors[0]


def test_near_duplicates() -> None:
    texts = ["The two sides agreed to boost trade and investment.", "The two sides agreed to boost trade and tourism.",
             "Coast guards will hold joint patrols."]
    assert [(i, j) for i, j, _ in near_duplicates(texts)] == [(0, 1)]
    assert near_duplicates(texts, threshold=0.99) == []


def test_real_sentence_rows_get_the_same_checks(tmp_path: Path) -> None:
    """The real corpus's sentence rows go through the curated corpus's row checks (one place), with its sources."""
    from accord import paths
    from accord.data.real import load_real

    lines = paths.REAL_SENTENCES_FILE.read_text(encoding="utf-8").splitlines()[:4]
    rows = [json.loads(x) for x in lines]
    rows[1]["text"], rows[2]["labels"], rows[3]["source"] = " ", ["economy"], "curated"
    sentences = tmp_path / "sentences.jsonl"
    sentences.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    corpus, errors = load_real(paths.REAL_ARTICLES_FILE, sentences)
    assert [e.line for e in errors] == [2, 3, 4]
    assert errors[0].message == "empty text" and errors[1].message.startswith("unknown label(s) ['economy']")
    assert errors[2].message.startswith("source must be one of") and "review" in errors[2].message
    assert len(corpus.sentences) == 1
