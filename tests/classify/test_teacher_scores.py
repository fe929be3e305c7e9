"""training/teacher_scores.py: the teacher scores the training data it is told to (the labelled rounds joined by a
data override), says what it scored beside the file, and a bad setting is one line naming it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from accord import paths

SCRIPT = paths.ROOT / "training" / "teacher_scores.py"


def _run(uri: str, out: Path, *overrides: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(SCRIPT), "--model", "models:/accord-classifier/1", "--out", str(out),
                           "--tracking-uri", uri, *overrides], capture_output=True, text=True, timeout=600)


def test_teacher_scores_the_train_split_with_the_rounds_it_is_given(tiny_store: str, tmp_path: Path) -> None:
    plain, joined = tmp_path / "plain.jsonl", tmp_path / "joined.jsonl"
    assert _run(tiny_store, plain).returncode == 0
    done = _run(tiny_store, joined, "train_rounds=data/real/round6")
    assert done.returncode == 0, done.stderr
    rows = [json.loads(line) for line in joined.read_text().splitlines()]
    round6 = {json.loads(line)["text"] for line in (paths.DATA_DIR / "real" / "round6" / "sentences.jsonl").open()}
    n_plain = len(plain.read_text().splitlines())
    assert len(rows) > n_plain and round6 & {r["text"] for r in rows}
    meta = json.loads((tmp_path / "joined.jsonl.meta.json").read_text())
    assert meta["sentences"] == len(rows) and meta["split"] == "train"
    assert set(rows[0]["probs"]) == {"trade", "defence", "technology", "people_to_people", "visas"}


def test_a_bad_data_setting_is_one_line_and_writes_nothing(tiny_store: str, tmp_path: Path) -> None:
    done = _run(tiny_store, tmp_path / "x.jsonl", "no_such_setting=1")
    assert done.returncode != 0 and "no_such_setting" in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "x.jsonl").exists()
