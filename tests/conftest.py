"""Shared fixtures: tiny corpora written to temp folders, the real paths of the project."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from accord import paths, tracking
from accord.config import from_dict


def make_config(cls: type, **values: Any) -> Any:
    """A config from flat or dotted keys (``epochs=2`` means ``minilm.epochs``), checked like a config file."""
    return from_dict(cls, values, "test config")


def train_classifier(cfg: Any, uri: str | None = None, register: bool = True, figures: bool = False
                     ) -> SimpleNamespace:
    """``accord.classify.train.train`` with its metrics and objects in one namespace (``.metrics``, ``.run_id``...).
    Without the figures unless asked (about 5 s a run; the tests that read them ask)."""
    from dataclasses import replace

    from accord.classify.train import train

    metrics, objects = train(replace(cfg, figures=figures), uri, register)
    return SimpleNamespace(metrics=metrics, **vars(objects))


def train_summariser(cfg: Any, uri: str | None = None, register: bool = True) -> SimpleNamespace:
    """``accord.summarise.train.train`` with its metrics and objects in one namespace."""
    from accord.summarise.train import train

    metrics, objects = train(cfg, uri, register)
    return SimpleNamespace(metrics=metrics, **vars(objects))


def run_fresh_python(script: str, tracking_uri: str) -> str:
    """Run ``script`` in a fresh interpreter (offline, against ``tracking_uri``); return its last stdout line."""
    env = {**os.environ, "MLFLOW_TRACKING_URI": tracking_uri, "HF_HUB_OFFLINE": "1"}
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, cwd="/",
                          timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout.strip().splitlines()[-1]


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


TINY_REPORTS = {
    "r1": ["Ministers agreed to raise two-way trade to US$5 billion.", "They discussed joint naval drills.",
           "The Prime Minister thanked his host for the warm welcome."],
    "r2": ["Both sides pledged scholarships for five hundred students.", "A visa waiver for tourists was proposed.",
           "The talks took place in a friendly atmosphere."],
    "r3": ["The two agencies will cooperate on satellite launches.", "Coast guards will hold a hotline exercise.",
           "He invited his counterpart to visit at a convenient time."],
    "r4": ["Investors were urged to build an LNG terminal in the port city.",
           "Seasonal workers will get longer permits.", "The host expressed his confidence in the partnership."],
}
TINY_LABELS = {
    "r1": [["trade"], ["defence"], []], "r2": [["people_to_people"], ["visas", "people_to_people"], []],
    "r3": [["technology"], ["defence"], []], "r4": [["trade"], ["visas"], []],
}


@pytest.fixture
def tiny_corpus(tmp_path: Path) -> tuple[Path, Path, Path]:
    """A valid four-report corpus (no seeds) with its sentences, reports and an empty seeds folder."""
    sentences, reports = [], []
    for aid, texts in TINY_REPORTS.items():
        for i, (t, labels) in enumerate(zip(texts, TINY_LABELS[aid], strict=True)):
            sentences.append({"id": f"{aid}-{i}", "article_id": aid, "sentence_index": i, "text": t,
                              "labels": labels, "source": "curated"})
        reports.append({"article_id": aid, "title": f"Report {aid}", "text": " ".join(texts),
                        "summary": "Two ministers met in the capital and discussed trade, defence, visas, students "
                                   "and other fields of cooperation between their countries."})
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    return write_jsonl(tmp_path / "s.jsonl", sentences), write_jsonl(tmp_path / "r.jsonl", reports), seeds


@pytest.fixture(scope="session", autouse=True)
def model_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The local model, tokenizer and scores caches (``accord classify``/``summarise``, the gate) in temp folders,
    never the checkout's models/."""
    from accord.batch.cache import CACHE_ENV
    from accord.classify.scores_cache import CACHE_ENV as SCORES_CACHE_ENV
    from accord.summarise.tokenizer import CACHE_ENV as TOKENIZER_CACHE_ENV

    folder = tmp_path_factory.mktemp("model-cache")
    os.environ[CACHE_ENV] = str(folder)
    os.environ[TOKENIZER_CACHE_ENV] = str(tmp_path_factory.mktemp("tokenizer-cache"))
    os.environ[SCORES_CACHE_ENV] = str(tmp_path_factory.mktemp("scores-cache"))
    return folder


def register(model: Any, uri: str, champion: bool = True) -> str:
    """Log a classifier (or, with a ``summarise`` method, a summariser) to ``uri`` and register it; returns the
    version (moved to @champion when ``champion``)."""
    import mlflow

    from accord.pyfunc import log_classifier, log_summariser

    name = tracking.SUMMARISER if hasattr(model, "summarise") else tracking.CLASSIFIER
    tracking.setup(name, uri)
    with mlflow.start_run():
        log = log_summariser if name == tracking.SUMMARISER else log_classifier
        version = str(log(model, name, ["The two sides agreed to expand trade."]).registered_model_version)
    if champion:
        mlflow.MlflowClient().set_registered_model_alias(name, tracking.CHAMPION, version)
    return version


@pytest.fixture(scope="session")
def tiny_store(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A temp MLflow store, registered in seconds: a tfidf classifier fitted on the tiny reports as
    accord-classifier v1 (@champion) and v2 (every threshold 0: every label), and a lead-1 summariser @champion."""
    import numpy as np

    from accord.classify.config import ClassifierConfig
    from accord.classify.model import TfidfClassifier
    from accord.labels import to_multi_hot
    from accord.summarise.baselines import Lead1Summariser

    uri = f"sqlite:///{tmp_path_factory.mktemp('tiny-store') / 'mlflow.db'}"
    texts = [t for aid in TINY_REPORTS for t in TINY_REPORTS[aid]]
    y = np.array([to_multi_hot(labels) for aid in TINY_LABELS for labels in TINY_LABELS[aid]])
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MLFLOW_TRACKING_URI", uri)
        clf = TfidfClassifier(ClassifierConfig(family="tfidf")).fit(texts, y, texts, y)
        register(clf, uri)
        clf.thresholds = np.zeros(len(clf.thresholds))
        register(clf, uri, champion=False)
        register(Lead1Summariser(), uri)
    return uri


@pytest.fixture(scope="session")
def xsum_file() -> Path:
    if not paths.XSUM_FILE.exists():
        pytest.skip(f"shared XSum file not found at {paths.XSUM_FILE} (set ACCORD_XSUM)")
    return paths.XSUM_FILE


@pytest.fixture(scope="session")
def tiny_encoder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny randomly initialised BERT encoder with the embedded MiniLM tokenizer (no downloads); seeded, so every
    session tests the same weights (unseeded, they followed whatever ran before)."""
    from accord.testing import tiny_bert

    return tiny_bert(tmp_path_factory.mktemp("tiny-bert"), _minilm_tokenizer())


@pytest.fixture
def mlflow_uri(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A temporary sqlite MLflow store (artifacts beside it); checkpoints kept in the temp folder too."""
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    monkeypatch.setenv("ACCORD_CHECKPOINTS", str(tmp_path / "checkpoints"))
    return uri


def _minilm_tokenizer():
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(paths.minilm_path())


@pytest.fixture(scope="session")
def tiny_causal_lm(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny randomly initialised Llama-style causal LM with the MiniLM tokenizer (no downloads)."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(0)
    out = tmp_path_factory.mktemp("tiny-causal")
    tok = _minilm_tokenizer()
    config = LlamaConfig(vocab_size=tok.vocab_size, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                         num_attention_heads=2, num_key_value_heads=2, max_position_embeddings=512,
                         pad_token_id=tok.pad_token_id, bos_token_id=tok.cls_token_id, eos_token_id=tok.sep_token_id)
    LlamaForCausalLM(config).save_pretrained(out)
    tok.save_pretrained(out)
    return out


@pytest.fixture(scope="session")
def tiny_seq2seq(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny randomly initialised BART with the MiniLM tokenizer (no downloads)."""
    import torch
    from transformers import BartConfig, BartForConditionalGeneration

    torch.manual_seed(0)
    out = tmp_path_factory.mktemp("tiny-seq2seq")
    tok = _minilm_tokenizer()
    config = BartConfig(vocab_size=tok.vocab_size, d_model=32, encoder_layers=1, decoder_layers=1,
                        encoder_attention_heads=2, decoder_attention_heads=2, encoder_ffn_dim=64, decoder_ffn_dim=64,
                        max_position_embeddings=512, pad_token_id=tok.pad_token_id, bos_token_id=tok.cls_token_id,
                        eos_token_id=tok.sep_token_id, decoder_start_token_id=tok.sep_token_id,
                        forced_eos_token_id=tok.sep_token_id)
    BartForConditionalGeneration(config).save_pretrained(out)
    tok.save_pretrained(out)
    return out


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A real MLflow server (own process group, so its workers stop with it); yields its base URL."""
    port = free_port()
    cmd = tracking.server_command(f"sqlite:///{tmp_path / 'server.db'}", "127.0.0.1", port, tmp_path / "artifacts")
    log = (tmp_path / "server.log").open("wb")
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, cwd=tmp_path, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(f"{base}/health", timeout=2) as resp:
                    if resp.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"mlflow server did not start:\n{(tmp_path / 'server.log').read_text()[-3000:]}")
            time.sleep(0.5)
        monkeypatch.setenv("MLFLOW_TRACKING_URI", base)
        monkeypatch.setenv("ACCORD_CHECKPOINTS", str(tmp_path / "checkpoints"))
        yield base
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)
        log.close()
