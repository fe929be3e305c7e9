"""training/teacher_scores.py: the teacher scores the training data it is told to (the labelled rounds joined by a
data override), says what it scored beside the file, and a bad setting is one line naming it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from accord import paths
from accord.labels import LABELS
from accord.text import split_article

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
    assert set(rows[0]["probs"]) == set(LABELS)


def test_a_bad_data_setting_is_one_line_and_writes_nothing(tiny_store: str, tmp_path: Path) -> None:
    done = _run(tiny_store, tmp_path / "x.jsonl", "no_such_setting=1")
    assert done.returncode != 0 and "no_such_setting" in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "x.jsonl").exists()


def test_unlabelled_text_of_a_kept_apart_test_set_is_never_a_target(tmp_path: Path) -> None:
    """The second real test set and every round collected to measure only (round 10) are left out of the
    unlabelled sentences a teacher scores; a training round (round 8) is not a test set."""
    sys.path.insert(0, str(SCRIPT.parent))
    import teacher_scores

    from accord.data.config import DataConfig

    data = DataConfig()
    folders = {p.name for p in teacher_scores.kept_apart_test_sets(data)}
    assert folders == {"round5", "round10"}
    rows = [json.loads(line) for line in (paths.DATA_DIR / "real" / "round10" / "sentences.jsonl").open()]
    third = [r["text"] for r in rows if split_article(r["text"]) == [r["text"]]][:3]  # each report one sentence
    reports = tmp_path / "reports.jsonl"
    reports.write_text("".join(json.dumps({"article_id": f"u{k}", "text": t}) + "\n"
                               for k, t in enumerate([*third, "Both sides met on Monday in Hanoi."])))
    _, texts = teacher_scores.unlabelled(reports, {"train": {"text": []}}, data)
    assert len(third) == 3 and texts == ["Both sides met on Monday in Hanoi."]
