"""The evaluation scripts' own logic: the blind audit sheet maps its letters back to the right system, a reader's
labels are never overwritten, and the agreement check's ranking and counts are what their definitions say."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

EVALUATION = Path(__file__).resolve().parents[1] / "evaluation"
sys.path.insert(0, str(EVALUATION))  # the scripts import each other as top-level modules

import audit_summaries  # noqa: E402
import check_agreement  # noqa: E402
import check_confidence  # noqa: E402
import check_recall  # noqa: E402
import check_topic_training  # noqa: E402
import compare_decoding  # noqa: E402
import gpu_check  # noqa: E402
import probe_topic_input  # noqa: E402
import rescore_relabelled  # noqa: E402

ITEMS = [{"id": f"a{k}", "document": f"Article {k}. The ministers met."} for k in range(6)]
SUMMARIES = {"champion": [f"Summary S{k}." for k in range(6)], "lead1": [f"Summary L{k}." for k in range(6)]}


@pytest.fixture
def sheet(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(audit_summaries, "AUDIT_DIR", tmp_path)
    audit_summaries.write_sheet(ITEMS, SUMMARIES, audit_summaries.SYSTEMS, tmp_path / "round", 0,
                                {"model_uri": "m", "split": "test"})
    return tmp_path / "round"


def _label(folder: Path, marks: dict[tuple[str, str], list[str]]) -> None:
    """Fill labels.jsonl as a reader would: the given errors on (article, system), mapped to the sheet's letters."""
    key = json.loads((folder / "key.json").read_text(encoding="utf-8"))["key"]
    rows = [json.loads(line) for line in (folder / "labels.jsonl").read_text(encoding="utf-8").splitlines()]
    for row in rows:
        for error in marks.get((row["id"], key[row["id"]][row["letter"]]), []):
            row[error] = True
    (folder / "labels.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")


def test_sheet_is_blind_and_tally_maps_letters_back(sheet: Path) -> None:
    text = (sheet / "sheet.md").read_text(encoding="utf-8")
    key = json.loads((sheet / "key.json").read_text(encoding="utf-8"))["key"]
    assert "champion" not in text and "lead1" not in text  # the sheet never names a system
    assert all(f"S{k}." in text and f"L{k}." in text for k in range(6))
    assert {tuple(sorted(v.values())) for v in key.values()} == {("champion", "lead1")}
    assert len({v["A"] for v in key.values()}) == 2  # the order is drawn per article, not fixed
    _label(sheet, {("a0", "champion"): ["wrong_role", "loop"], ("a1", "champion"): ["garbled"],
                   ("a2", "lead1"): ["inverted"], ("a3", "champion"): ["wrong_fact"]})
    report = audit_summaries.tally(name="round")
    rows = {line.split(" | ")[0].strip("| "): line for line in report.splitlines() if line.startswith("| ")}
    assert rows["champion"].endswith("| 2 of 6 | 3 of 6 |")  # serious: a0 (role), a3 (fact); any: + a1
    assert rows["lead1"].endswith("| 1 of 6 | 1 of 6 |")
    assert "- a0 (champion): wrong_role, loop." in report


def test_a_second_export_keeps_the_readers_labels(sheet: Path) -> None:
    _label(sheet, {("a0", "champion"): ["loop"]})
    before = (sheet / "labels.jsonl").read_text(encoding="utf-8")
    audit_summaries.write_sheet(ITEMS, SUMMARIES, audit_summaries.SYSTEMS, sheet, 0, {"split": "test"})
    assert (sheet / "labels.jsonl").read_text(encoding="utf-8") == before


def test_missing_round_and_report_are_one_error_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(audit_summaries, "AUDIT_DIR", tmp_path)
    with pytest.raises(SystemExit, match=r"no key\.json and labels\.jsonl"):
        audit_summaries.tally(name="nothing")
    with pytest.raises(SystemExit, match="no such comparison report"):
        audit_summaries.export_variants(tmp_path / "missing.json", ("a", "b"), "x", 0)


def test_variants_sheet_shows_a_seeded_sample_of_the_changed_articles(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    class Split(list):
        def to_list(self) -> list[dict[str, str]]:
            return list(self)

    monkeypatch.setattr(audit_summaries, "AUDIT_DIR", tmp_path)
    monkeypatch.setattr(audit_summaries, "real_summary_datasets", lambda _config: {"validation": Split(ITEMS)})
    same = [f"S{k}" for k in range(6)]
    report = tmp_path / "report.json"
    report.write_text(json.dumps({"a": {"predictions": same},
                                  "b": {"predictions": [*same[:1], *(f"T{k}" for k in range(1, 6))]}}))
    audit_summaries.export_variants(report, ("a", "b"), "all", 0)
    audit_summaries.export_variants(report, ("a", "b"), "some", 0, sample=3)
    audit_summaries.export_variants(report, ("a", "b"), "again", 0, sample=3)
    shown = {name: list(json.loads((tmp_path / name / "key.json").read_text())["key"]) for name in
             ("all", "some", "again")}
    assert shown["all"] == ["a1", "a2", "a3", "a4", "a5"]  # a0's summaries are the same: not shown
    assert len(shown["some"]) == 3 and set(shown["some"]) < set(shown["all"])
    assert shown["again"] == shown["some"]  # the same seed draws the same articles


def test_decoding_comparison_pairs_each_variant_with_the_first_and_lead1() -> None:
    refs = ["the ministers met in Hanoi", "trade was discussed", "a visa deal was signed"]
    rows = {"": {"predictions": ["the ministers met in Hanoi", "trade", "a deal"]},
            "x=true": {"predictions": ["the ministers met in Hanoi", "trade was discussed", "a visa deal was signed"]},
            compare_decoding.LEAD1: {"predictions": ["the ministers met", "nothing", "nothing"]}}
    lines = compare_decoding.paired_lines(rows, refs)
    table = {line.split(" | ")[0]: line for line in lines if line.startswith("| `")}
    assert set(table) == {"| ``", "| `x=true`"}  # lead-1 is the baseline, not a row
    assert table["| ``"].split(" | ")[1].startswith("+0.00")  # the first variant minus itself
    assert table["| `x=true`"].split(" | ")[1].startswith("+")  # better on two articles, the same on one
    assert not table["| `x=true`"].split(" | ")[1].startswith("+0.00")


def test_auroc_is_the_chance_a_serious_summary_agrees_less() -> None:
    assert check_agreement.auroc([0.1, 0.2], [0.5, 0.6]) == 1.0
    assert check_agreement.auroc([0.5, 0.6], [0.1, 0.2]) == 0.0
    assert check_agreement.auroc([0.3], [0.3, 0.5]) == 0.75  # a tie counts half


def test_validation_lines_count_only_summaries_the_checks_pass() -> None:
    # (serious, clean, checks flag it, agreement)
    rows = [(True, False, False, 0.30), (True, False, True, 0.10), (False, True, False, 0.50),
            (False, True, False, 0.40)]
    lines = check_agreement.validation_lines(rows)
    assert "3 pass the checks: 1 with a reader's serious error, 2 without" in lines[0]
    assert "| 0.42 | 1 of 1 | 1 of 2 |" in lines


def test_sheet_lines_count_what_a_brief_shows() -> None:
    # (serious, clean, checks flag it, agreement): shown with the checks alone: the first two; the agreement check
    # (0.46) keeps only the second; a clean summary below it goes to the extract
    rows = [(True, False, False, 0.30), (True, False, False, 0.60), (True, False, True, 0.90),
            (False, True, False, 0.40), (False, True, False, 0.70)]
    lines = check_agreement.sheet_lines(rows, 0.46, "Test, sheet x")
    assert lines[0] == "## Test, sheet x (5 summaries; threshold 0.46)"
    assert "| serious errors shown in a brief | 2 | 1 |" in lines
    assert "| reader-clean summaries sent to the extract | 0 of 2 | 1 of 2 |" in lines


def test_read_sheets_takes_one_systems_summaries(sheet: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(check_agreement, "AUDIT_DIR", sheet.parent)
    _label(sheet, {("a0", "lead1"): ["wrong_fact"], ("a1", "champion"): ["loop"]})
    documents = {r["id"]: r["document"] for r in ITEMS}
    draws = {r["id"]: {"draws": [f"Summary L{k}."] * 3} for k, r in enumerate(ITEMS)}  # lead-1's own words
    lead = check_agreement.read_sheets((sheet.name,), documents, draws, "lead1")
    champion = check_agreement.read_sheets((sheet.name,), documents, draws)
    assert len(lead) == len(champion) == 6
    assert [r[0] for r in lead] == [True, False, False, False, False, False]  # serious: a0's wrong fact
    assert [r[1] for r in champion] == [True, False, True, True, True, True]  # clean but for a1's loop
    assert all(r[3] == 1.0 for r in lead) and all(r[3] < 1.0 for r in champion)  # agreement with the draws


def test_read_sheets_scores_with_the_first_draws_only(sheet: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``--use-draws N`` reads what N draws give: a draw is seeded by its document and number, so the first N of
    the stored ones."""
    monkeypatch.setattr(check_agreement, "AUDIT_DIR", sheet.parent)
    documents = {r["id"]: r["document"] for r in ITEMS}
    draws = {r["id"]: {"draws": [f"Summary S{k}.", "Something else entirely here.", "Unrelated words only."]}
             for k, r in enumerate(ITEMS)}
    first = check_agreement.read_sheets((sheet.name,), documents, draws, used=1)
    every = check_agreement.read_sheets((sheet.name,), documents, draws, used=3)
    assert all(r[3] == 1.0 for r in first)  # the first draw is the summary itself
    assert all(r[3] < 0.5 for r in every)  # the other two do not agree with it


def test_test_lines_say_when_the_logged_run_is_not_in_the_store(monkeypatch: pytest.MonkeyPatch) -> None:
    def missing(run_id: str) -> dict[str, str]:
        raise OSError(f"no run {run_id}")

    monkeypatch.setattr(check_agreement, "logged_predictions", missing)
    rows = [(True, False, False, 0.9), (False, True, True, 0.9), (False, True, False, 0.2)]
    lines = check_agreement.test_lines(rows, 0.46, {}, {})
    assert "| brief fallback on the sheet's 3 summaries | 1 | 2 |" in lines
    assert lines[-1].startswith("| brief fallback, logged real-test predictions | run ")
    assert "not in this store" in lines[-1]


def test_recall_counts_every_system_a_sheet_compares(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(audit_summaries, "AUDIT_DIR", tmp_path)
    pair = {"v1": SUMMARIES["champion"], "v3": SUMMARIES["lead1"]}
    audit_summaries.write_sheet(ITEMS, pair, ("v1", "v3"), tmp_path / "variants", 0, {"split": "validation"})
    _label(tmp_path / "variants", {("a0", "v3"): ["wrong_fact"], ("a1", "v1"): ["garbled"]})
    assert check_recall.sheet_systems(tmp_path / "variants") == ["v1", "v3"]
    documents = {item["id"]: item["document"] for item in ITEMS}
    v1, v3 = (check_recall.sheet_counts(tmp_path / "variants", documents, s) for s in ("v1", "v3"))
    assert v1["summaries"] == v3["summaries"] == 6
    assert v3["reader: wrong role, fact or inversion"] == 1 and v1["reader: wrong role, fact or inversion"] == 0
    assert v1["reader: no error"] == 5 and v3["reader: no error"] == 5


def test_a_runs_predictions_are_rebuilt_from_its_recorded_errors(tmp_path: Path) -> None:
    """A sentence the run got wrong takes its recorded prediction; every other one the gold the run was scored on
    (here the gold before a relabelling), not today's."""
    folder = tmp_path / "artifacts" / "eval" / "real_test"
    folder.mkdir(parents=True)
    (folder / "misclassified.json").write_text(json.dumps({
        "columns": ["id", "text", "gold", "predicted"], "data": [["s1", "t", "trade", "other"],
                                                                 ["s2", "t", "other", "defence+visas"]]}))
    then = {"s1": ["trade"], "s2": [], "s3": ["technology"]}
    rows = rescore_relabelled.predictions(tmp_path, "real_test", then, ["s1", "s2", "s3"]).tolist()
    assert rows == [[0, 0, 0, 0, 0], [0, 1, 0, 0, 1], [0, 0, 1, 0, 0]]


def test_the_gpu_check_runs_its_checks_on_the_cpu(capsys: pytest.CaptureFixture[str],
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """The GPU check's own logic, on the CPU (CI has no GPU): every check passes and says what it ran; asked for CUDA
    where there is none, it says so and exits 2."""
    monkeypatch.setattr(sys, "argv", ["gpu_check.py", "--device", "cpu"])
    assert gpu_check.main() == 0
    out = capsys.readouterr().out
    assert "same summaries as on the CPU: True" in out and "LoRA gradients" in out
    assert "accord body on cpu" in out and "with drafts of 3, the same: True" in out
    assert "\nclassifier: trained and predicted" in out and "\ngemma classifier: trained and predicted" in out
    assert "FAILED" not in out
    monkeypatch.setattr(sys, "argv", ["gpu_check.py"])
    monkeypatch.setattr(gpu_check.torch.cuda, "is_available", lambda: False)
    assert gpu_check.main() == 2


def test_paired_validation_compares_cross_fits_caches_and_logs(tiny_store: str, tmp_path: Path) -> None:
    """v1 (tuned thresholds) against v2 (every threshold 0) of the tiny store on a labelled file: both statistics
    printed, the probabilities cached whole (a second run reads them and prints the same), the comparison logged as
    an evaluation run."""
    import subprocess

    from mlflow import MlflowClient

    from tests.conftest import TINY_LABELS, TINY_REPORTS

    data = tmp_path / "labelled.jsonl"
    data.write_text("".join(json.dumps({"id": f"{aid}-{i:02d}", "text": text, "labels": TINY_LABELS[aid][i]}) + "\n"
                            for aid in TINY_REPORTS for i, text in enumerate(TINY_REPORTS[aid])), encoding="utf-8")
    cmd = [sys.executable, str(EVALUATION / "paired_validation.py"), "models:/accord-classifier/1",
           "models:/accord-classifier/2", "--data", str(data), "--cross-fit", "--cache", str(tmp_path / "cache"),
           "--tracking-uri", tiny_store]
    first = subprocess.run([*cmd, "--log"], capture_output=True, text=True, timeout=600)
    assert first.returncode == 0, first.stderr
    assert "cross-fitted thresholds (mean of 20 halvings)" in first.stdout and "better in" in first.stdout
    assert len(list((tmp_path / "cache").glob("*.npz"))) == 2 and not list((tmp_path / "cache").glob("*.partial*"))
    again = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert again.stdout == first.stdout
    client = MlflowClient(tiny_store)
    runs = client.search_runs([client.get_experiment_by_name("accord-classifier").experiment_id],
                              "tags.`accord.family` = 'comparison'")
    assert len(runs) == 1 and runs[0].data.metrics["new_macro_f1"] > runs[0].data.metrics["old_macro_f1"]
    assert {"paired/wins", "cross_fitted/wins"} <= set(runs[0].data.metrics)


def test_the_draws_skip_rule_counts_skipped_and_changed_briefs_as_defined() -> None:
    """Skipping the draws at confidence >= s changes a brief exactly where the draws refused a summary the checks
    passed; s is the lowest confidence that keeps the changes within the bound; halves are seeded and disjoint."""
    rows = [{"checks_pass": True, "draws_refuse": refuse, "confidence": c}
            for c, refuse in [(-0.1, False), (-0.2, True), (-0.3, False), (-0.9, True)]]
    rows.append({"checks_pass": False, "draws_refuse": False, "confidence": 0.0})  # the checks decide it: never drawn
    out = check_confidence.outcome(rows, -0.25)
    assert (out["checks_pass"], out["draws_refuse"], out["skipped"], out["changed"]) == (4, 2, 2, 1)
    assert out["changed_share"] == 1 / 5 and out["skipped_share"] == 2 / 4
    assert check_confidence.choose(rows) == -0.1  # any lower s lets the refused -0.2 through (1 in 5 > 1%)
    assert check_confidence.auroc([-0.9, -0.2], [-0.3, -0.1]) == 0.75
    first, second = check_confidence.halves([f"a{k}" for k in range(9)])
    assert not set(first) & set(second) and len(first) + len(second) == 9
    assert (first, second) == check_confidence.halves([f"a{k}" for k in reversed(range(9))])


def test_the_topic_input_keeps_the_lead_then_the_best_category_sentences_in_article_order() -> None:
    def sentence(k: int, score: float) -> dict:
        return {"text": f"s{k} w w", "scores": {"trade": score, "visas": 0.0}}
    rows = [sentence(0, 0.0), sentence(1, 0.0), sentence(2, 0.6), sentence(3, 0.1), sentence(4, 0.9),
            sentence(5, 0.7)]

    def count(text: str) -> int:
        return len(text.split())
    assert probe_topic_input.built(rows, 100, count) == " ".join(r["text"] for r in rows)  # fits: as it is
    # 6 words of lead, then the best-scoring cooperation sentences while 4 words each fit in 15: s4 (0.9), s5 (0.7)
    assert probe_topic_input.built(rows, 15, count) == "s0 w w s1 w w s4 w w s5 w w"



def test_topic_training_builds_inputs_for_long_articles_only_and_reports_the_rules_numbers() -> None:
    def count(text: str) -> int:
        return len(text.split())
    scored = {"long": [{"text": f"s{k} w w", "scores": {"trade": 0.9 if k == 4 else 0.0}} for k in range(6)],
              "short": [{"text": "s0 w w", "scores": {"trade": 0.0}}]}
    rows = [{"id": "long", "document": " ".join(f"s{k} w w" for k in range(6))}, {"id": "short", "document": "s0 w w"},
            {"id": "unscored", "document": "x " * 40}]
    assert check_topic_training.inputs(rows, scored, 12, count) == {"long": "s0 w w s1 w w s4 w w"}
    items = [{"id": "a", "summary": "The ministers met in Hanoi."}, {"id": "b", "summary": "Leaders discussed trade."}]
    served = ["The ministers met in Hanoi on Monday.", "Leaders discussed trade and visas."]
    text = check_topic_training.report(items, served, ["The ministers met.", "Leaders met."],
                                       ["The ministers met.", "Leaders discussed trade."], [1])
    assert "| long (1) | candidate (built input) | 100.00 |" in text
    assert "- all: ROUGE-L candidate minus champion, paired" in text and "1 summaries identical" in text
    assert "- long:" in text and "0 summaries identical" in text
