"""The local model cache behind ``accord classify``/``summarise``: a miss downloads, a hit does not, a moved alias
is a miss, a damaged entry is rebuilt, bad URIs are one-line errors; the ONNX path starts without torch."""

from __future__ import annotations

import copy
import gc
import json
import os
import weakref
from pathlib import Path

import mlflow
import numpy as np
import pytest

from accord import tracking
from accord.batch import cache as model_cache
from accord.batch import models
from accord.batch.progress import Phases
from accord.classify import onnx as onnx_classifier
from accord.classify.predictor import Predictor
from accord.config import ConfigError
from accord.labels import LABELS
from tests.conftest import register, run_fresh_python

TEXTS = ["Ministers agreed to raise two-way trade to US$5 billion by 2030.", "Visas.",
         "The two navies will hold joint drills next year, the defence ministry said in a statement on Monday.",
         "Both sides pledged scholarships for five hundred students " * 6,  # past max_length: truncated
         "He thanked his host.", "A hotline between the coast guards was set up.", ""]


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv(model_cache.CACHE_ENV, str(tmp_path / "cache"))
    return tmp_path / "cache"


def load(store: str) -> tuple[Predictor, Phases]:
    phases = Phases()
    return models.load_predictor(tracking.CLASSIFIER_URI, store, "onnx", "int8", phases), phases


def test_miss_then_hit_then_the_alias_moves(tiny_store: str, cache: Path) -> None:
    first, phases = load(tiny_store)
    assert "version 1: downloaded into the local cache" in phases.notes[0]
    (folder,) = (cache / tracking.CLASSIFIER).iterdir()
    assert folder.name.startswith("v1-") and model_cache.intact(folder)

    def no_download(**kwargs: object) -> str:
        raise AssertionError("a cache hit downloaded the model")

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(mlflow.artifacts, "download_artifacts", no_download)
        again, phases = load(tiny_store)
    assert "version 1: local cache hit" in phases.notes[0]
    assert again(TEXTS)[1] == first(TEXTS)[1] and not all(len(x) == len(LABELS) for x in first(TEXTS)[1])
    client = mlflow.MlflowClient(tiny_store)
    client.set_registered_model_alias(tracking.CLASSIFIER, tracking.CHAMPION, "2")
    try:
        moved, phases = load(tiny_store)
    finally:
        client.set_registered_model_alias(tracking.CLASSIFIER, tracking.CHAMPION, "1")
    assert "version 2: downloaded" in phases.notes[0]
    assert all(labels == list(LABELS) for labels in moved(TEXTS)[1])  # v2's thresholds are 0: every label
    assert sorted(p.name[:3] for p in (cache / tracking.CLASSIFIER).iterdir()) == ["v1-", "v2-"]


def test_a_damaged_entry_is_ignored_and_rebuilt(tiny_store: str, cache: Path) -> None:
    expected = load(tiny_store)[0](TEXTS)[1]
    (folder,) = (cache / tracking.CLASSIFIER).iterdir()
    weights = next(folder.rglob("pipeline.joblib"))
    size = weights.stat().st_size
    for damage in (lambda: weights.write_bytes(b"short"),  # a truncated file: the manifest's size check
                   lambda: weights.write_bytes(b"\0" * size),  # same size, unreadable: the load fails, rebuilt
                   lambda: (folder / model_cache.MANIFEST).write_text("{not json", encoding="utf-8")):
        damage()
        predictor, phases = load(tiny_store)
        assert predictor(TEXTS)[1] == expected
        assert any("downloaded" in note for note in phases.notes), phases.notes
        assert model_cache.intact(folder) and weights.stat().st_size == size
    assert [p.name for p in folder.parent.iterdir() if p.name.startswith(".")] == []  # no temp folders left


def test_a_refused_setting_is_named_and_the_entry_kept(tiny_store: str, cache: Path) -> None:
    models.load_summariser(tracking.SUMMARISER_URI, tiny_store)  # the entry is cached
    (folder,) = (cache / tracking.SUMMARISER).iterdir()

    def refuse(_: Path | None) -> None:
        raise ConfigError("$ACCORD_DECODER is not JSON")

    phases = Phases()
    with pytest.raises(tracking.ModelBroken, match=r"cannot load \S+: \$ACCORD_DECODER is not JSON"):
        models._cached_load(tracking.SUMMARISER_URI, tiny_store, phases, "summariser", refuse)
    assert model_cache.intact(folder)  # not taken for a damaged entry, deleted and downloaded again
    assert not any("downloaded" in note for note in phases.notes), phases.notes


def test_bad_uris_are_one_line_errors(tiny_store: str, tmp_path: Path) -> None:
    with pytest.raises(tracking.ModelNotFound, match="no version has the alias 'champion'"):
        model_cache.resolve("models:/no-such-model@champion", tiny_store)
    with pytest.raises(tracking.ModelNotFound, match="there is no version 99"):
        model_cache.resolve(f"models:/{tracking.CLASSIFIER}/99", tiny_store)
    missing = tmp_path / "none.db"
    with pytest.raises(tracking.ModelNotFound, match="there is no MLflow store"):
        model_cache.resolve(tracking.CLASSIFIER_URI, f"sqlite:///{missing}")
    assert not missing.exists()  # a lookup never creates a store
    assert model_cache.resolve("runs:/abc/model", tiny_store) is None  # other URIs are not cached


def test_the_sqlite_lookup_agrees_with_mlflow(tiny_store: str) -> None:
    args = (tiny_store, tracking.CLASSIFIER_URI, tracking.CLASSIFIER, tracking.CHAMPION, None)
    row = model_cache._sqlite_version(*args)
    assert row is not None and row == model_cache._client_version(*args) and row[0] == "1"


def test_old_entries_are_pruned(tmp_path: Path) -> None:
    entries = [tmp_path / f"v{i}-abc" for i in range(5)]
    for i, folder in enumerate(entries):
        folder.mkdir()
        os.utime(folder, (1000 + i, 1000 + i))
    stale = tmp_path / ".v9-abc-x"
    stale.mkdir()
    os.utime(stale, (1000, 1000))
    model_cache._prune(entries[0])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["v0-abc", "v3-abc", "v4-abc"]


def test_a_summariser_is_loaded_once_per_process(tiny_store: str, cache: Path) -> None:
    first = models.load_summariser(tracking.SUMMARISER_URI, tiny_store)
    assert models.load_summariser(tracking.SUMMARISER_URI, tiny_store) is first
    assert list(first.predict(["TOKYO — The ministers met. They talked."])["summary"]) == ["The ministers met."]


def test_fast_tokenizer_matches_transformers(tiny_minilm: object, tmp_path: Path) -> None:
    tiny_minilm.tokenizer.save_pretrained(tmp_path)
    fast = onnx_classifier.FastTokenizer(tmp_path, tiny_minilm.tokenizer.pad_token_id)
    for max_length in (8, 32):
        expected = tiny_minilm.tokenizer(TEXTS, truncation=True, max_length=max_length)
        got = fast(TEXTS, truncation=True, max_length=max_length)
        assert {k: got[k] for k in expected} == {k: list(map(list, v)) for k, v in expected.items()}


def test_the_onnx_predictor_drops_the_torch_model(tiny_minilm: object, tmp_path: Path) -> None:
    clf = copy.deepcopy(tiny_minilm)
    torch_model = weakref.ref(clf.model)
    predictor = Predictor(clf, "onnx", "fp32", cache_dir=tmp_path)
    del clf
    gc.collect()
    assert torch_model() is None and predictor.model is None
    assert predictor(TEXTS)[0].shape == (len(TEXTS), len(LABELS))


def test_onnx_classify_starts_without_torch(tiny_minilm: object, tmp_path: Path, cache: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """The first run exports and writes the serving spec; a fresh ``accord classify`` then imports neither torch,
    transformers nor MLflow, and gives the torch model's scores (fp32)."""
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    monkeypatch.setenv(onnx_classifier.CACHE_ENV, str(tmp_path / "onnx"))
    register(tiny_minilm, uri)
    expected = tiny_minilm.predict_proba(TEXTS[:-1])
    first = models.load_predictor(tracking.CLASSIFIER_URI, uri, "onnx", "fp32")
    assert np.allclose(first(TEXTS[:-1])[0], expected, atol=1e-5)
    src, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    src.write_text("".join(json.dumps({"article_id": "a", "text": t}) + "\n" for t in TEXTS[:-1]), encoding="utf-8")
    script = ("import sys\nfrom accord.cli import app\n"
              f"app(['classify', {str(src)!r}, '--unit', 'sentence', '--out', {str(out)!r}, '--quiet', '--precision', "
              "'fp32'], standalone_mode=False)\n"
              "print(*(name in sys.modules for name in ('torch', 'transformers', 'mlflow')))")
    assert run_fresh_python(script, uri) == "False False False"
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert np.allclose([[r["scores"][n] for n in LABELS] for r in rows], expected, atol=1e-5)
    bf16 = models.load_predictor(tracking.CLASSIFIER_URI, uri, "onnx", "bf16")  # no ONNX path: torch, no export
    assert bf16.backend == "minilm torch bf16" and not list((tmp_path / "onnx").rglob("*bf16*"))
    assert np.abs(bf16(TEXTS[:-1])[0] - expected).max() < 0.05


def test_a_relative_store_path_shares_the_absolute_ones_entry(tiny_store: str, monkeypatch: pytest.MonkeyPatch
                                                              ) -> None:
    db = Path(tiny_store.removeprefix("sqlite:///")).resolve()
    monkeypatch.chdir(db.parent)
    relative = model_cache.resolve(tracking.CLASSIFIER_URI, f"sqlite:///{db.name}")
    absolute = model_cache.resolve(tracking.CLASSIFIER_URI, f"sqlite:///{db}")
    assert relative is not None and absolute is not None and relative.folder() == absolute.folder()


def test_batch_commands_decode_at_least_decode_batch_documents_together() -> None:
    from dataclasses import dataclass
    from types import SimpleNamespace

    from accord.batch.models import DECODE_BATCH, DirectSummariser

    @dataclass(frozen=True)
    class Generation:
        generate_batch_size: int

    small, large = SimpleNamespace(g=Generation(8)), SimpleNamespace(g=Generation(DECODE_BATCH * 4))
    DirectSummariser(small), DirectSummariser(large)
    assert small.g.generate_batch_size == DECODE_BATCH  # a model saved with the old 8 decodes 16 together
    assert large.g.generate_batch_size == DECODE_BATCH * 4  # a larger saved batch is kept


def test_agreement_draws_are_set_per_run_on_the_shared_summariser() -> None:
    from types import SimpleNamespace

    from accord.batch.models import DirectSummariser, with_agreement_draws
    from accord.summarise.config import GenerationArguments

    inner = SimpleNamespace(g=GenerationArguments(agreement_draws=3))
    model = DirectSummariser(inner)
    assert with_agreement_draws(model, 0).summariser.g.agreement_draws == 0
    assert with_agreement_draws(model, None).summariser.g.agreement_draws == 3  # the next run gets the saved setting
    assert with_agreement_draws(model, 5).summariser.g.agreement_draws == 5
    other = SimpleNamespace(predict=lambda documents: {"summary": documents})  # a pyfunc: nothing to set
    assert with_agreement_draws(other, 0) is other


def test_the_batch_summariser_keeps_prompt_passes_for_its_draws_unless_told_not_to(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from types import SimpleNamespace

    from accord.batch.models import DirectSummariser
    from accord.summarise.config import GenerationArguments
    from accord.summarise.model import REUSE_PROMPTS_ENV

    def kept() -> bool:
        return DirectSummariser(SimpleNamespace(g=GenerationArguments(), keep_prompts=False)).summariser.keep_prompts

    monkeypatch.delenv(REUSE_PROMPTS_ENV, raising=False)
    assert kept()
    monkeypatch.setenv(REUSE_PROMPTS_ENV, "0")  # the benchmark's side-by-side row
    assert not kept()
