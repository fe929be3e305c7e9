"""The real corpus's labelling records: agreement of two passes and the blind field-ministers relabelling."""

from __future__ import annotations

import importlib.util
import json

import pytest

from accord import paths
from accord.data.real import agreement, relabelled

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


def _script():
    spec = importlib.util.spec_from_file_location("relabel", REAL / "scripts" / "relabel_field_ministers.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_field_ministers_relabelling_is_what_its_records_say() -> None:
    """The sheet is what the text-only regex picks, and every relabelled gold is the passes' agreed or adjudicated
    label set, so the change can be audited and redone."""
    script = _script()
    rows = [json.loads(line) for line in (REAL / "sentences.jsonl").read_text(encoding="utf-8").splitlines()]
    picked = [r["id"] for r in script.selected(rows)]
    work = script.WORK
    sheet = [json.loads(line)["id"] for line in (work / "sheet.jsonl").read_text(encoding="utf-8").splitlines()]
    assert picked == sheet
    adjudicated = {json.loads(line)["id"]: sorted(json.loads(line)["labels"])
                   for line in (work / "adjudication.jsonl").read_text(encoding="utf-8").splitlines()}
    records = {r["id"]: r for r in rows if r.get("relabel")}
    assert set(records) == set(sheet)
    for sid, row in records.items():
        a, b = row["relabel"]["labels_a"], row["relabel"]["labels_b"]
        assert row["labels"] == (adjudicated[sid] if a != b else a), sid
