"""JSONL reading that names bad lines, wide encodings, FIFOs; safe outputs (refusals, modes, temp files, SIGTERM);
CSV and terminal neutralisation."""

from __future__ import annotations

import errno
import json
import os
import signal
import stat
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from accord.io import (
    CSV_FORMULA_STARTS,
    STALE_TEMP_S,
    InputError,
    OutputError,
    atomic_open,
    check_outputs,
    csv_safe,
    csv_unsafe,
    errors_path,
    iter_jsonl,
    json_line,
    mark_output_dir,
    output_dir_problem,
    read_text,
    terminal_safe,
    write_errors,
    write_failure,
    write_jsonl_atomic,
    write_text_atomic,
)


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


# ---------------------------------------------------------------------------------------------------- outputs


def test_an_output_that_is_an_input_or_another_output_is_refused(tmp_path: Path) -> None:
    article = tmp_path / "a.txt"
    article.write_text("One.", encoding="utf-8")
    with pytest.raises(OutputError, match=r"--out is also an input") as info:
        check_outputs({"--out": article}, [str(article)])
    assert info.value.usage
    (tmp_path / "link.txt").symlink_to(article)  # the same file under another name
    with pytest.raises(OutputError, match="also an input"):
        check_outputs({"--out": tmp_path / "link.txt"}, [str(article)])
    with pytest.raises(OutputError, match="--briefs and --out are the same file"):
        check_outputs({"--out": tmp_path / "x.jsonl", "--briefs": tmp_path / "x.jsonl"}, [str(article)])
    check_outputs({"--out": tmp_path / "x.jsonl", "--briefs": tmp_path / "b.jsonl"}, [str(article), "-"])


def test_an_output_named_like_an_option_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``--briefs --out x.jsonl``: --briefs took "--out" as its file; refused before anything is written."""
    monkeypatch.chdir(tmp_path)
    with pytest.raises(OutputError, match=r"--briefs got '--out', which looks like an option") as info:
        check_outputs({"--out": None, "--briefs": "--out"})
    assert info.value.usage and not (tmp_path / "--out").exists()
    check_outputs({"--briefs": "./-briefs.jsonl"})  # a file that really starts with '-' is written as ./-name


def test_folders_devices_and_read_only_files_are_refused(tmp_path: Path) -> None:
    with pytest.raises(OutputError, match="is a folder") as info:
        check_outputs({"--out": tmp_path})
    assert info.value.usage
    with pytest.raises(OutputError, match="not a regular file"):
        check_outputs({"--out": "/dev/null"})
    locked = tmp_path / "locked.jsonl"
    locked.write_text("keep\n", encoding="utf-8")
    locked.chmod(0o444)
    with pytest.raises(OutputError, match="is read-only") as info:
        check_outputs({"--out": locked})
    assert not info.value.usage
    with pytest.raises(OutputError, match="is a file, not a folder"):
        check_outputs({"--out": locked / "x.jsonl"})


def test_an_unwritable_folder_is_found_before_the_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(tempfile, "mkstemp", refuse)  # root ignores permission bits: the probe is what is tested
    with pytest.raises(OutputError, match=r"cannot write in .* \(Permission denied\)") as info:
        check_outputs({"--out": tmp_path / "new" / "out.jsonl"})
    assert str(tmp_path) in str(info.value) and not info.value.usage


def test_outputs_honour_the_umask_and_keep_an_existing_mode(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        fresh = tmp_path / "fresh.jsonl"
        write_text_atomic(fresh, "x\n")
        assert stat.S_IMODE(fresh.stat().st_mode) == 0o644
        kept = tmp_path / "kept.jsonl"
        kept.write_text("old\n", encoding="utf-8")
        kept.chmod(0o640)
        write_text_atomic(kept, "new\n")
        assert stat.S_IMODE(kept.stat().st_mode) == 0o640 and kept.read_text(encoding="utf-8") == "new\n"
    finally:
        os.umask(old)


def test_commit_false_keeps_the_previous_output(tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    out.write_text("previous good run\n", encoding="utf-8")
    with atomic_open(out, commit=lambda: False) as fh:
        fh.write("")
    assert out.read_text(encoding="utf-8") == "previous good run\n"
    assert [p.name for p in tmp_path.iterdir()] == ["out.jsonl"]


def test_stale_temp_files_are_swept_young_ones_kept(tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    stale, young, other = (tmp_path / ".out.jsonl.ab12cd_9.tmp", tmp_path / ".out.jsonl.zz99zz99.tmp",
                           tmp_path / ".notes.abcdefgh.tmp")
    for p in (stale, young, other):
        p.write_text("half", encoding="utf-8")
    stale_dir = tmp_path / ".out.jsonl.q1w2e3r4.tmp"  # a Spark temp folder
    stale_dir.mkdir()
    two_hours_ago = time.time() - 2 * STALE_TEMP_S
    for p in (stale, other, stale_dir):
        os.utime(p, (two_hours_ago, two_hours_ago))
    write_text_atomic(out, "x\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["out.jsonl", young.name, other.name])


SIGTERM_SCRIPT = """
import sys, time
from accord.io import atomic_open
with atomic_open(sys.argv[1]) as fh:
    fh.write("half")
    print("writing", flush=True)
    time.sleep(60)
"""


def test_sigterm_removes_the_temp_file_and_keeps_the_old_output(tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    out.write_text("previous\n", encoding="utf-8")
    proc = subprocess.Popen([sys.executable, "-c", SIGTERM_SCRIPT, str(out)], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline() == "writing\n"
    assert len(list(tmp_path.glob(".out.jsonl.*.tmp"))) == 1
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=30) == 128 + signal.SIGTERM
    assert [p.name for p in tmp_path.iterdir()] == ["out.jsonl"]
    assert out.read_text(encoding="utf-8") == "previous\n"


def test_write_failures_are_one_line_with_what_to_do() -> None:
    full = write_failure(OSError(errno.ENOSPC, "No space left on device"), ["out.jsonl"])
    assert str(full) == ("out.jsonl: cannot write (No space left on device); free some space or write elsewhere. "
                         "Earlier outputs were left as they were")
    named = write_failure(PermissionError(errno.EACCES, "Permission denied", "/ro/x"), ["a", "b"])
    assert str(named).startswith("/ro/x: cannot write (Permission denied); write elsewhere or fix the permissions")


def test_spark_output_folders_need_the_marker(tmp_path: Path) -> None:
    assert output_dir_problem(tmp_path / "new") is None
    (tmp_path / "empty").mkdir()
    assert output_dir_problem(tmp_path / "empty") is None
    home = tmp_path / "home"
    home.mkdir()
    (home / "thesis.tex").write_text("years of work", encoding="utf-8")
    assert "no earlier Accord run wrote" in (output_dir_problem(home) or "")
    mark_output_dir(home)
    assert output_dir_problem(home) is None
    assert "not a folder" in (output_dir_problem(home / "thesis.tex") or "")


# ---------------------------------------------------------------------------------------------------- security


@pytest.mark.parametrize(("cell", "safe"), [
    ("=HYPERLINK(\"http://x\",\"y\")", "'=HYPERLINK(\"http://x\",\"y\")"), ("+1", "'+1"), ("-2+3", "'-2+3"),
    ("@SUM(A1)", "'@SUM(A1)"), ("\tcmd", "'\tcmd"), ("\rx", "'\rx"), ("Trade rose.", "Trade rose."),
    ("a=b", "a=b"), ("", "")])
def test_csv_cells_that_start_a_formula_are_neutralised(cell: str, safe: str) -> None:
    assert csv_safe(cell) == safe


def test_json_lines_escape_what_could_drive_a_terminal() -> None:
    row = {"text": "Trade\x1b[31m rose \x9b2J \u202eevil\u202c in Việt Nam\x7f"}
    line = json_line(row)
    assert line.endswith("\n") and "Việt Nam" in line
    assert not any(c in line for c in ("\x1b", "\x9b", "\u202e", "\u202c", "\x7f"))
    assert json.loads(line) == row  # the data is exact


@pytest.mark.parametrize("cell", ["=1+1", "'=1+1", "''=1", "'quoted", "'", "plain", "-", "", "@x'"])
def test_a_neutralised_cell_reads_back_exactly(cell: str) -> None:
    assert csv_unsafe(csv_safe(cell)) == cell
    assert not csv_safe(cell).startswith(CSV_FORMULA_STARTS)


def test_terminal_output_loses_escapes_controls_and_bidi_overrides() -> None:
    hostile = ("Trade\x1b[2J\x1b[31m rose\x1b[0m \x1b]0;pwned\x07\u202eevil\u202c \u2066iso\u2069\r\x08\x9b31m "
               "Việt Nam\tok\nnext")
    assert terminal_safe(hostile) == "Trade rose evil iso Việt Nam\tok\nnext"


# ---------------------------------------------------------------------------------------------------- inputs


def test_a_fifo_is_refused_not_waited_on(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.txt"
    os.mkfifo(fifo)
    with pytest.raises(InputError, match=r"is a named pipe \(FIFO\), not a file; .* pass - instead"):
        read_text(fifo)  # would block forever if it were opened


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be", "utf-32", "utf-32-be"])
def test_utf16_and_utf32_with_a_bom_are_decoded(tmp_path: Path, encoding: str) -> None:
    p = tmp_path / "wide.txt"
    text = "Việt Nam and Korea met."
    bom = "\ufeff" if encoding.endswith("-be") else ""  # the plain codecs write their own BOM
    p.write_bytes((bom + text).encode(encoding))
    assert read_text(p) == text


def test_utf16_jsonl_is_named_as_such(tmp_path: Path) -> None:
    p = tmp_path / "wide.jsonl"
    p.write_bytes('{"text": "x"}\n'.encode("utf-16"))
    errors: list[InputError] = []
    assert list(iter_jsonl(p, errors)) == []
    assert "is UTF-16 text (byte-order mark); JSONL is read as UTF-8" in str(errors[0])
