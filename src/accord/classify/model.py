"""Sentence classifiers behind one interface: ``fit -> predict_proba -> save -> load``.

- ``tfidf``: scikit-learn Pipeline, TF-IDF word + char n-grams -> one-vs-rest logistic regression (balanced).
- ``minilm``: a Hugging Face encoder (default: the embedded all-MiniLM-L6-v2; any local path or Hub id works)
  fine-tuned for multi-label classification (sigmoid + BCE) with the ``Trainer``, early stopping on validation
  macro-F1 with the best checkpoint restored (or, with ``minilm.average_tail``, the average of the last steps).

Both keep per-label thresholds (tuned on validation by :mod:`accord.classify.train`) and save them beside the weights.

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
from pathlib import Path
from typing import Any

import numpy as np

from accord import paths
from accord.bases import resolve_base
from accord.classify.batching import length_sorted_proba, prepare_texts
from accord.classify.config import META_FILE, ClassifierConfig
from accord.io import InputError
from accord.labels import LABELS, from_multi_hot
from accord.system import bf16_native


class SentenceClassifier:
    """Common interface: ``fit``, ``predict_proba``, ``predict``, ``save``; thresholds default to 0.5."""

    family = ""

    def __init__(self, config: ClassifierConfig) -> None:
        self.config = config
        self.thresholds = np.full(len(LABELS), 0.5)
        self.history: list[dict[str, float]] = []
        self.fitted_from = ""  # a registered version this classifier was loaded from to serve as trained

    def prepare(self, texts: list[str]) -> list[str]:
        """What the model sees: the sentences, spellings unified when ``config.normalise``."""
        return prepare_texts(texts, self.config.normalise)

    def fit(self, texts: list[str], y: np.ndarray, val_texts: list[str], val_y: np.ndarray,
            on_epoch: Callable[[dict[str, float]], None] | None = None) -> SentenceClassifier:
        """Train on ``texts``/``y`` (``val_*``: for early stopping); ``on_epoch`` gets per-epoch metrics."""
        self._fit(self.prepare(texts), np.asarray(y), self.prepare(val_texts), np.asarray(val_y), on_epoch)
        return self

    def predict_proba(self, texts: list[str]) -> np.ndarray:
        """Probabilities, shape ``(len(texts), len(LABELS))``, in input order."""
        if not texts:
            return np.zeros((0, len(LABELS)))
        return self._proba(self.prepare(texts))

    def _fit(self, texts: list[str], y: np.ndarray, val_texts: list[str], val_y: np.ndarray,
             on_epoch: Callable[[dict[str, float]], None] | None) -> None:
        raise NotImplementedError

    def _proba(self, texts: list[str]) -> np.ndarray:
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
                "config": self.config.family_settings()}
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

        c = self.config.tfidf
        features = FeatureUnion([
            ("word", TfidfVectorizer(ngram_range=(1, c.word_ngram_max), sublinear_tf=True, strip_accents="unicode")),
            ("char", TfidfVectorizer(analyzer="char_wb", ngram_range=(c.char_ngram_min, c.char_ngram_max),
                                     sublinear_tf=True, min_df=c.char_min_df)),
        ])
        head = LogisticRegression(C=c.C, class_weight="balanced", solver="liblinear", max_iter=2000,
                                  random_state=self.config.seed)
        return Pipeline([("tfidf", features), ("clf", OneVsRestClassifier(head))])

    def _fit(self, texts: list[str], y: np.ndarray, val_texts: list[str], val_y: np.ndarray,
             on_epoch: Callable[[dict[str, float]], None] | None) -> None:
        self.pipeline.fit(texts, y)

    def _proba(self, texts: list[str]) -> np.ndarray:
        return np.asarray(self.pipeline.predict_proba(texts))

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
        self.train_notes: dict[str, float] = {}  # the teacher's coverage, unlabelled sentences added, steps averaged
        if config.minilm.threads > 0:
            import torch

            torch.set_num_threads(config.minilm.threads)

    def _init_model(self, y: np.ndarray) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        from transformers import AutoModel, AutoModelForSequenceClassification, AutoTokenizer, set_seed
        from transformers.utils import logging as hf_logging

        from accord.classify.encoder import POOLINGS, pooled_classifier

        base = resolve_base(self.config.minilm.base_model or "minilm")  # an alias, a path or a Hub id
        set_seed(self.config.seed)  # after resolving: a first run's conversion must not move the head's init
        hf_logging.set_verbosity_error()  # the fresh classification head is reported as "missing"; expected
        try:  # a Hub id not in the cache on a machine without the Hub, a folder that is no checkpoint
            self.tokenizer = AutoTokenizer.from_pretrained(base)
            if self.config.minilm.pooling in POOLINGS:
                self.model = pooled_classifier(AutoModel.from_pretrained(base), len(LABELS), y.mean(axis=0),
                                               pooling=self.config.minilm.pooling)
            else:
                self.model = AutoModelForSequenceClassification.from_pretrained(
                    base, num_labels=len(LABELS), problem_type="multi_label_classification",
                    id2label=dict(enumerate(LABELS)), label2id={n: i for i, n in enumerate(LABELS)},
                )
        except OSError as exc:
            raise InputError(base, f"minilm.base_model cannot be loaded: {str(exc).splitlines()[0]}") from None
        if self.config.minilm.freeze_embeddings:
            self.model.get_input_embeddings().requires_grad_(False)

    def _fit(self, texts: list[str], y: np.ndarray, val_texts: list[str], val_y: np.ndarray,
             on_epoch: Callable[[dict[str, float]], None] | None) -> None:
        from transformers import DataCollatorWithPadding, EarlyStoppingCallback, PrinterCallback, Trainer

        c = self.config.minilm
        texts, y = self._targets(texts, y, val_texts)
        val_texts, val_y = _epoch_sample(val_texts, val_y, c.eval_sentences, self.config.seed)
        self._init_model(y)
        work = Path(os.environ.get("ACCORD_CHECKPOINTS", paths.MODELS_DIR / "checkpoints"))
        work = work / f"{Path(c.base_model or 'minilm').name}-{os.getpid()}"
        trainer = Trainer(
            model=self.model, args=self._training_arguments(work),
            train_dataset=self._encode(texts, y), eval_dataset=self._encode(val_texts, val_y),
            data_collator=DataCollatorWithPadding(self.tokenizer), compute_metrics=_epoch_metrics,
            callbacks=[*([] if c.keep_last_epoch else [EarlyStoppingCallback(c.early_stopping_patience)]),
                       _epoch_logger(self.history, on_epoch), *_tail_averager(c.average_tail, self.train_notes)],
        )
        trainer.remove_callback(PrinterCallback)  # per-epoch metrics go to MLflow, not to stdout as dicts
        try:
            trainer.train()
        finally:
            shutil.rmtree(work, ignore_errors=True)
        # with bf16 on, accelerate wraps the model's forward in autocast; unwrapped, predictions here (thresholds,
        # the logged metrics, the gate) are the float32 ones the saved model serves
        self.model = trainer.accelerator.unwrap_model(trainer.model, keep_fp32_wrapper=False).to("cpu").eval()

    def _targets(self, texts: list[str], y: np.ndarray, val_texts: list[str]) -> tuple[list[str], np.ndarray]:
        """The gold, mixed with ``minilm.teacher``'s probabilities where it scored the (prepared) sentence, and
        ``minilm.teacher_unlabelled``'s sentences with the teacher's probabilities as their targets."""
        from accord.classify.distill import (
            mixed_targets,
            read_teacher,
            teacher_files,
            unlabelled_examples,
        )

        def prepared(path: Path) -> dict[str, np.ndarray]:  # keyed as the texts are: spellings unified when set
            raw = read_teacher(path)
            return dict(zip(self.prepare(list(raw)), raw.values(), strict=True))

        c, notes = self.config.minilm, self.train_notes
        if c.teacher:
            teacher = {k: v for path in teacher_files(c.teacher) for k, v in prepared(path).items()}
            y, notes["teacher_coverage"] = mixed_targets(texts, y, teacher, c.teacher_weight)
        for path in teacher_files(c.teacher_unlabelled):
            extra, targets = unlabelled_examples(path, prepared(path), set(texts), set(val_texts))
            texts, y = [*texts, *extra], np.vstack([np.asarray(y, dtype=float), targets])
            notes["unlabelled_sentences"] = notes.get("unlabelled_sentences", 0.0) + len(extra)
        return texts, y

    def _encode(self, texts: list[str], y: np.ndarray) -> Any:
        from datasets import Dataset

        ds = Dataset.from_dict({"text": list(texts), "labels": np.asarray(y, dtype=np.float32).tolist()})
        max_length = self.config.minilm.max_length
        return ds.map(lambda b: self.tokenizer(b["text"], truncation=True, max_length=max_length), batched=True,
                      remove_columns=["text"])

    def _training_arguments(self, work: Path) -> Any:
        import torch
        from transformers import TrainingArguments

        c, seed = self.config.minilm, self.config.seed
        return TrainingArguments(
            output_dir=str(work), num_train_epochs=c.epochs, max_steps=c.max_steps,
            per_device_train_batch_size=c.batch_size, per_device_eval_batch_size=c.predict_batch_size,
            learning_rate=c.learning_rate, weight_decay=c.weight_decay, warmup_steps=c.warmup_ratio,
            eval_strategy="epoch", save_strategy="no" if c.keep_last_epoch else "epoch", logging_strategy="epoch",
            save_total_limit=1, load_best_model_at_end=not c.keep_last_epoch, metric_for_best_model="macro_f1",
            greater_is_better=True,
            seed=seed, data_seed=seed, report_to="none", disable_tqdm=True, save_only_model=True,
            use_cpu=not torch.cuda.is_available(),
            bf16=c.bf16 and bf16_native(), train_sampling_strategy=c.sampling,
        )

    def _proba(self, texts: list[str]) -> np.ndarray:
        """Token-length-sorted batches under ``torch.inference_mode``; returns probabilities in input order."""
        import torch

        def proba(batch: dict[str, np.ndarray]) -> np.ndarray:
            logits = self.model(**{k: torch.from_numpy(v) for k, v in batch.items()}).logits
            return torch.sigmoid(logits).double().numpy()

        with torch.inference_mode():
            return length_sorted_proba(self.tokenizer, texts, self.config.minilm.predict_batch_size,
                                       self.config.minilm.max_length, proba)

    def _save_weights(self, path: Path) -> None:
        from accord.classify import encoder

        if self.config.minilm.pooling in encoder.POOLINGS:
            encoder.save(self.model, path / "hf")
        else:
            self.model.save_pretrained(path / "hf")
        self.tokenizer.save_pretrained(path / "hf")

    @classmethod
    def load(cls, path: Path, config: ClassifierConfig) -> TransformerClassifier:
        from transformers import AutoModelForSequenceClassification

        from accord.classify import encoder

        if config.minilm.pooling in encoder.POOLINGS:
            model = encoder.load(path / "hf", len(LABELS), config.minilm.pooling)
        else:
            model = AutoModelForSequenceClassification.from_pretrained(path / "hf").eval()
        return cls(config, model, encoder.load_tokenizer(path / "hf"))


def _epoch_sample(texts: list[str], y: np.ndarray, n: int, seed: int) -> tuple[list[str], np.ndarray]:
    """The validation sentences each epoch is scored on: all, or a seeded sample of ``n`` in their order, so that
    the per-epoch pass does not grow with the validation split (it only picks the epoch kept)."""
    if not n or n >= len(texts):
        return texts, y
    keep = np.sort(np.random.default_rng(seed).choice(len(texts), size=n, replace=False))
    return [texts[i] for i in keep], np.asarray(y)[keep]


def _epoch_metrics(pred: Any) -> dict[str, float]:
    """Validation macro/micro-F1 at threshold 0.5, once per epoch (early stopping watches macro-F1)."""
    from sklearn.metrics import f1_score

    guess = (1 / (1 + np.exp(-pred.predictions)) >= 0.5).astype(int)
    return {"macro_f1": f1_score(pred.label_ids, guess, average="macro", zero_division=0),
            "micro_f1": f1_score(pred.label_ids, guess, average="micro", zero_division=0)}


AVERAGE_EVERY = 10  # tail averaging samples the weights every this many optimiser steps (and at the last one)


def _tail_averager(share: float, notes: dict[str, float]) -> list[Any]:
    """A Trainer callback (none when ``share`` is 0) that averages the weights of the last ``share`` of the planned
    optimiser steps and loads the average once training ends, after the best epoch was restored. One run's late
    weights, averaged, smooth part of the draw that averaging several runs smooths, at no training cost. If early
    stopping ends training before the tail starts, the epoch kept is served; ``notes["averaged_steps"]`` says which."""
    import torch
    from transformers import TrainerCallback

    class TailAverager(TrainerCallback):
        def __init__(self) -> None:
            self.total: dict[str, torch.Tensor] = {}
            self.count = 0

        def on_step_end(self, args: Any, state: Any, control: Any, model: Any = None, **kw: Any) -> None:
            start = int(state.max_steps * (1 - share))
            last = state.global_step == state.max_steps
            if state.global_step <= start or ((state.global_step - start) % AVERAGE_EVERY and not last):
                return
            with torch.no_grad():
                for name, value in model.state_dict().items():
                    if value.is_floating_point():
                        self.total.setdefault(name, torch.zeros_like(value, dtype=torch.float32)).add_(value)
            self.count += 1

        def on_train_end(self, args: Any, state: Any, control: Any, model: Any = None, **kw: Any) -> None:
            if self.count:
                current = model.state_dict()
                averaged = {name: (total / self.count).to(current[name].dtype) for name, total in self.total.items()}
                model.load_state_dict(averaged, strict=False)
            notes["averaged_steps"] = float(self.count)

    return [TailAverager()] if share > 0 else []


def _epoch_logger(history: list[dict[str, float]], on_epoch: Callable[[dict[str, float]], None] | None) -> Any:
    """A Trainer callback that collects train loss and validation metrics once per epoch into ``history``."""
    from transformers import TrainerCallback

    class EpochLogger(TrainerCallback):
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

    return EpochLogger()
