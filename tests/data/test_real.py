"""The real corpus's labelling records: agreement of two passes and the blind field-ministers relabelling."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from accord import paths
from accord.data.card import kappa_text
from accord.data.real import RELABELLINGS, agreement, relabel_chain, relabelled

REAL = paths.DATA_DIR / "real"


def _row(gold: list[str], before: list[str], a: list[str], b: list[str]) -> dict:
    return {"labels": gold, "relabel": {"labels_before": before, "labels_a": a, "labels_b": b,
                                        "adjudicated": a != b}}


def test_relabelled_counts_changes_and_agreement_by_hand() -> None:
    rows = [_row(["defence"], [], ["defence"], ["defence"]),  # changed, passes agree
            _row([], [], [], ["defence"]),  # passes disagree, adjudicated to the old gold
            _row(["trade"], ["trade"], ["trade"], ["trade"]),
            {"labels": ["visas"], "labels_a": ["visas"], "labels_b": ["visas"]}]  # never relabelled
    out = relabelled(rows)
    assert out["sentences"] == 3 and out["changed"] == 1
    assert out["disagreements"] == 1 and out["adjudicated"] == 1
    assert out["kappa"]["trade"] == pytest.approx(1.0)
    # defence: a = [1, 0, 0], b = [1, 1, 0]: p_o = 2/3, p_e = 1/3 * 2/3 + 2/3 * 1/3 = 4/9, kappa = (2/9) / (5/9)
    assert out["kappa"]["defence"] == pytest.approx(0.4)
    assert relabelled([{"labels": []}]) is None
    assert agreement(rows)["sentences"] == 1  # the original passes' agreement ignores the relabel records


def test_agreement_leaves_out_labels_neither_pass_gave() -> None:
    """A small relabelled subset rarely holds every label: a unanimous "no" is no disagreement, so it must not pull
    the macro-F1 down as an F1 of 0, and kappa is undefined there."""
    rows = [{"labels_a": ["trade"], "labels_b": ["trade"]}, {"labels_a": [], "labels_b": []},
            {"labels_a": ["defence"], "labels_b": []}]
    out = agreement(rows)
    assert out["kappa"]["technology"] is None and out["kappa"]["visas"] is None
    assert out["kappa"]["trade"] == pytest.approx(1.0)
    assert out["macro_f1_b_vs_a"] == pytest.approx(0.5)  # trade 1.0, defence 0.0; the three unused labels left out
    assert agreement(rows[1:2])["macro_f1_b_vs_a"] == 1.0  # no label given at all: nothing to disagree on
    assert kappa_text(None) == "n/a" and kappa_text(0.4) == "0.400"


def _script(name: str):
    """A relabelling script of ``data/real/scripts`` as a module (they import their shared steps, ``relabel``)."""
    import sys

    sys.path.insert(0, str(REAL / "scripts"))
    try:
        spec = importlib.util.spec_from_file_location(name, REAL / "scripts" / f"{name}.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module  # a dataclass looks its module up there
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(REAL / "scripts"))
    return module


LATER_ROUNDS = ("round7", "round11", "round12")  # labelled after the earlier relabellings, by their rules


@pytest.mark.parametrize("procedure", sorted(RELABELLINGS))
def test_each_relabelling_is_what_its_records_say(procedure: str) -> None:
    """The sheet is what the text-only regex picks (or, picked by predictions, validation sentences only), and every
    gold a relabelling gave is its passes' agreed or adjudicated label set (a later relabelling keeps the earlier
    record), so each change can be audited and redone."""
    script = _script(RELABELLINGS[procedure][2].removesuffix(".py"))
    rows = [json.loads(line) for line in (REAL / "sentences.jsonl").read_text(encoding="utf-8").splitlines()]
    later = {json.loads(line)["article_id"] for folder in getattr(script, "LABELLED_AFTER", LATER_ROUNDS)
             for line in (REAL / folder / "assembled.jsonl").read_text(encoding="utf-8").splitlines()}
    work = script.WORK
    sheet = [json.loads(line)["id"] for line in (work / "sheet.jsonl").read_text(encoding="utf-8").splitlines()]
    if hasattr(script, "selected"):
        assert sheet == [r["id"] for r in rows if r.get("source") == "real" and script.selected(r["text"])
                         and r["article_id"] not in later]
    else:
        validation = set(json.loads((REAL / "splits.json").read_text(encoding="utf-8"))["real_validation"])
        assert sheet and {r["article_id"] for r in rows if r["id"] in set(sheet)} <= validation
    adjudicated = {json.loads(line)["id"]: sorted(json.loads(line)["labels"])
                   for line in (work / "adjudication.jsonl").read_text(encoding="utf-8").splitlines()}
    steps = {r["id"]: (record, after) for r in rows for record, _, after in relabel_chain(r)
             if record["procedure"] == procedure}
    assert set(steps) == set(sheet)
    for sid, (record, after) in steps.items():
        a, b = record["labels_a"], record["labels_b"]
        assert sorted(after) == (adjudicated[sid] if a != b else a), sid


def test_a_second_relabelling_keeps_the_first_and_each_counts_its_own_changes() -> None:
    """Relabelled twice: the chain gives each procedure the gold it replaced and the gold it gave."""
    row = {"labels": ["defence"], "relabel": {
        "procedure": "second", "labels_before": ["trade"], "labels_replaced": [], "labels_a": ["defence"],
        "labels_b": ["defence"], "earlier": {"procedure": "first", "labels_before": ["trade"], "labels_a": [],
                                             "labels_b": []}}}
    assert [(r["procedure"], before, after) for r, before, after in relabel_chain(row)] == [
        ("second", [], ["defence"]), ("first", ["trade"], [])]
    assert relabelled([row], "first")["changed"] == 1 and relabelled([row], "second")["changed"] == 1
    assert relabelled([row], "third") is None


def test_the_second_real_test_set_is_what_its_records_say(tmp_path: Path) -> None:
    """round5/: its relabelling sheet is what the two corpus relabellings' text-only selectors pick, and rebuilding
    the round from its collection, label passes and relabelling gives the committed files byte for byte."""
    import shutil

    script = _script("relabel_round")
    round5 = REAL / "round5"
    rows = [json.loads(line) for line in (round5 / "sentences.jsonl").read_text(encoding="utf-8").splitlines()]
    for procedure, selected in script.SELECTORS.items():
        work = round5 / "_label" / procedure
        sheet = [json.loads(line)["id"] for line in (work / "sheet.jsonl").read_text(encoding="utf-8").splitlines()]
        assert [r["id"] for r in rows if selected(r["text"])] == sheet
        assert {r["id"] for r in rows for record, _, _ in relabel_chain(r) if record["procedure"] == procedure} == set(
            sheet)
    copy = tmp_path / "round5"
    shutil.copytree(round5, copy)
    _script("build_round").main(copy)
    for name in ("articles", "sentences", "test_new_outlets", "test_seen_outlets"):
        assert (copy / f"{name}.jsonl").read_bytes() == (round5 / f"{name}.jsonl").read_bytes(), name



def test_the_sixth_round_is_what_its_records_say(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """round6/: its sheet is the project's splitter over the distillation reports, every disagreement of the two
    passes is adjudicated, and rebuilding it from the label files gives the committed files byte for byte."""
    script = _script("label_unlabelled")
    round6 = REAL / "round6"
    rows = [json.loads(line) for line in (round6 / "_label" / "sheet.jsonl").read_text(encoding="utf-8").splitlines()]
    assert rows == script.sheet()
    adjudicated = {r["id"] for r in script._parts("adjudication_part*.jsonl")}
    assert {r["id"] for r in script.disagreements()} == adjudicated and len(adjudicated) == 41
    monkeypatch.setattr(script, "ROUND", tmp_path)
    script.build()
    for name in ("articles", "sentences"):
        assert (tmp_path / f"{name}.jsonl").read_bytes() == (round6 / f"{name}.jsonl").read_bytes(), name


@pytest.mark.parametrize("folder", ["round6", "round8", "round9"])
def test_the_training_rounds_are_valid(folder: str) -> None:
    """No held-out report, nothing of the second real test set, no validation or test outlet, no report twice."""
    from accord.data.config import DataConfig, real_split_settings
    from accord.data.real import read_frozen, read_heldout, read_kept_apart, round_errors

    cfg = DataConfig()
    frozen = read_frozen(cfg.real_splits_path, real_split_settings(cfg))
    assert frozen is not None
    assert round_errors(cfg.real_articles_path, cfg.real_sentences_path, [REAL / folder],
                        read_heldout(paths.HELDOUT_FILE), frozen, read_kept_apart(cfg.second_test_dir)) == []


def _as_labelled(row: dict) -> dict:
    """A corpus sentence as its round labelled it: a later blind relabelling's record and gold taken off."""
    if "relabel" not in row:
        return row
    return {**{k: v for k, v in row.items() if k != "relabel"}, "labels": row["relabel"]["labels_before"]}


@pytest.mark.parametrize(("folder", "disagreed", "n_articles", "n_sentences"),
                         [("round7", 27, 149, 1504), ("round11", 18, 150, 1250),
                          ("round12", 23, 156, 1363)])
def test_the_validation_rounds_are_in_validation_as_their_records_say(folder: str, disagreed: int, n_articles: int,
                                                                       n_sentences: int) -> None:
    """round7/, round11/ and round12/: every disagreement of the two passes adjudicated; the corpus holds their
    articles and sentences as the label files give them; they are all pinned to real validation, and no outlet or
    agency of theirs trains or tests."""
    from accord.data.config import DataConfig
    from accord.data.datasets import load_real_corpus, real_assignment

    script = _script("news_round")
    rnd = script.ROUNDS[folder]
    adjudicated = {r["id"] for r in script._parts(rnd, "adjudication_part*.jsonl")}
    assert {r["id"] for r in script.disagreements(rnd)} == adjudicated and len(adjudicated) == disagreed
    arts, rows = script.labelled(rnd)
    assert len(arts) == n_articles and len(rows) == n_sentences
    corpus = {r["article_id"]: r for r in map(json.loads, (REAL / "articles.jsonl").read_text().splitlines())}
    sentences = {r["id"]: r for r in map(json.loads, (REAL / "sentences.jsonl").read_text().splitlines())}
    assert all(corpus[a["article_id"]] == a for a in arts) and all(_as_labelled(sentences[r["id"]]) == r for r in rows)
    cfg = DataConfig()
    real = load_real_corpus(cfg)
    split, groups = real_assignment(cfg, real), real.groups()
    mine = {a["article_id"] for a in arts}
    assert {split[aid] for aid in mine} == {"real_validation"}
    assert not {groups[aid] for aid in mine} & {groups[aid] for aid in real.articles if split[aid] != "real_validation"}


@pytest.mark.parametrize("folder", ["round8", "round9", "round10"])
def test_the_kept_apart_rounds_are_what_their_records_say(folder: str) -> None:
    """round8/, round9/, round10/: every disagreement of the two passes adjudicated, and the articles and sentences
    are what the label files give; a round kept apart is in no split (8 and 9 train only where a config names them in
    ``data.train_rounds``)."""
    script = _script("news_round")
    rnd = script.ROUNDS[folder]
    adjudicated = {r["id"] for r in script._parts(rnd, "adjudication_part*.jsonl")}
    assert {r["id"] for r in script.disagreements(rnd)} == adjudicated and adjudicated
    arts, rows = script.labelled(rnd)
    assert arts == [json.loads(line) for line in (REAL / folder / "articles.jsonl").read_text().splitlines()]
    assert rows == [json.loads(line) for line in (REAL / folder / "sentences.jsonl").read_text().splitlines()]
    splits = json.loads((REAL / "splits.json").read_text(encoding="utf-8"))
    assert not {a["article_id"] for a in arts} & {aid for name in ("real_validation", "real_test")
                                                  for aid in splits[name]}


def test_the_tenth_round_measures_only_on_new_outlets() -> None:
    """round10/ (a third real test set): no outlet or agency of any other data of the project, no page of it, and no
    shipped config trains on it."""
    from accord.data.config import DataConfig, real_split_settings
    from accord.data.real import read_frozen, read_heldout, read_kept_apart, round_errors

    script = _script("news_round")
    reports, outlets = script.known_reports(script.ROUNDS["round10"])
    arts = [json.loads(line) for line in (REAL / "round10" / "articles.jsonl").read_text().splitlines()]
    assert arts and not {o.casefold() for a in arts for o in (a["outlet"], a["source_group"])} & outlets
    assert not {a["url"].rstrip("/") for a in arts} & {r["url"].rstrip("/") for r in reports}
    assert not [p for p in paths.CONFIGS_DIR.rglob("*.yaml") if "round10" in p.read_text(encoding="utf-8")]
    cfg = DataConfig()  # named in data.train_rounds, it is refused
    errors = round_errors(cfg.real_articles_path, cfg.real_sentences_path, [REAL / "round10"],
                          read_heldout(paths.HELDOUT_FILE), read_frozen(cfg.real_splits_path, real_split_settings(cfg)),
                          read_kept_apart(cfg.second_test_dir))
    assert len(errors) == 1 and "never trains" in str(errors[0]) and "round10" in str(errors[0])


def test_a_sheet_picked_by_ids_holds_those_sentences_with_the_one_before(tmp_path: Path) -> None:
    """relabel.select with ``ids`` (a relabelling picked by predictions): those real sentences, in corpus order,
    each with the sentence before it and no gold."""
    relabel = _script("relabel")
    rows = [{"id": f"a-{i:02d}", "article_id": "a", "sentence_index": i, "text": f"Sentence {i}.", "labels": [],
             "source": "real"} for i in range(3)]
    (tmp_path / "s.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    relabel.select(tmp_path / "work", lambda text: False, tmp_path / "s.jsonl", ids={"a-02", "a-00"})
    sheet = [json.loads(line) for line in (tmp_path / "work" / "sheet.jsonl").read_text().splitlines()]
    assert sheet == [{"id": "a-00", "previous_sentence": "", "text": "Sentence 0."},
                     {"id": "a-02", "previous_sentence": "Sentence 1.", "text": "Sentence 2."}]
