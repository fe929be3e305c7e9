"""JSONL reading that names bad lines; atomic writes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from accord.io import InputError, atomic_open, errors_path, iter_jsonl, write_errors, write_jsonl_atomic


def test_iter_jsonl_names_bad_lines_and_keeps_going(tmp_path: Path) -> None:
    p = tmp_path / "x.jsonl"
    p.write_bytes(b'{"a": 1}\n\n{broken\n[1, 2]\n\xff\xfe\n{"a": 2}\n')
    errors: list[InputError] = []
    rows = list(iter_jsonl(p, errors))
    assert rows == [(1, {"a": 1}), (6, {"a": 2})]
    assert [(e.line, e.message.split(";")[0].split(":")[0]) for e in errors] == [
        (3, "malformed JSON"), (4, "expected a JSON object, got list"), (5, "not valid UTF-8 (byte 0xff at column 1)")
    ]
    assert all(str(p) in str(e) for e in errors)


def test_errors_file_beside_the_output(tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    written = write_errors(out, [InputError("a.txt", "empty file"), InputError("b.jsonl", "malformed JSON", 3)])
    assert written == errors_path(out) == tmp_path / "out.jsonl.errors.jsonl"
    rows = [json.loads(x) for x in written.read_text(encoding="utf-8").splitlines()]
    assert rows == [{"file": "a.txt", "line": None, "error": "empty file"},
                    {"file": "b.jsonl", "line": 3, "error": "malformed JSON"}]


def test_missing_jsonl_is_one_error(tmp_path: Path) -> None:
    errors: list[InputError] = []
    assert list(iter_jsonl(tmp_path / "none.jsonl", errors)) == []
    assert len(errors) == 1 and "no such file" in str(errors[0])


def test_atomic_write_leaves_old_file_on_failure(tmp_path: Path) -> None:
    target = tmp_path / "out.jsonl"
    write_jsonl_atomic(target, [{"a": "é"}])
    assert target.read_text(encoding="utf-8") == '{"a": "é"}\n'
    with pytest.raises(KeyboardInterrupt), atomic_open(target) as fh:
        fh.write("half")
        raise KeyboardInterrupt
    assert target.read_text(encoding="utf-8") == '{"a": "é"}\n'
    assert [p.name for p in tmp_path.iterdir()] == ["out.jsonl"]
