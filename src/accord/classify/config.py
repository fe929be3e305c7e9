"""A classifier's settings: :class:`ClassifierConfig`, with one section per model family and the data section.

Every field is a named default with its help (:func:`accord.config.arg`); the YAML files under
``training/configs/classifier/`` set some of them and the command line overrides any (``minilm.epochs=3``). The
config is saved with each model, so :func:`config_from_meta` reads what an older model was saved with.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from accord import paths
from accord.bases import ALIASES, alias_problem
from accord.config import ConfigError, arg, flatten, from_dict, load_config, to_dict
from accord.data.config import DataConfig

FAMILIES = ("tfidf", "minilm", "setfit", "ensemble")  # built and loaded by accord.classify.families
MEMBER_FAMILIES = ("tfidf", "minilm", "setfit")  # what an ensemble member may be, besides a file or a version
REFIT_FAMILIES = ("tfidf", "minilm")  # what refit_from can train again (one model, no contrastive pairs)
META_FILE = "accord_classifier.json"  # beside a saved classifier's weights: family, labels, thresholds, config
REGISTERED_VERSION = re.compile(r"models:/([^/@\s]+)/(\d+)")  # a member taken from the registry, by version
# registered member URI -> its saved folder and trained config, as the training module resolved them
_REGISTERED: dict[str, tuple[Path, ClassifierConfig]] = {}
CONFIG_SUFFIXES = (".yaml", ".yml")


@dataclass
class TfidfArguments:
    """TF-IDF word and character n-grams into one-vs-rest balanced logistic regression."""

    word_ngram_max: int = arg(2, "longest word n-gram", low=1, high=5)
    char_ngram_min: int = arg(2, "shortest character n-gram (char_wb)", low=1, high=10)
    char_ngram_max: int = arg(5, "longest character n-gram (char_wb)", low=1, high=10)
    char_min_df: int = arg(2, "ignore character n-grams in fewer sentences than this", low=1)
    C: float = arg(10.0, "inverse regularisation strength of the logistic regression", low=1e-6, high=1e6)

    def validate(self) -> None:
        if self.char_ngram_min > self.char_ngram_max:
            raise ValueError(f"tfidf.char_ngram_min ({self.char_ngram_min}) > char_ngram_max ({self.char_ngram_max})")


@dataclass
class MiniLMArguments:
    """A Hugging Face encoder fine-tuned for multi-label classification with the ``Trainer``."""

    base_model: str = arg("", "empty: the embedded all-MiniLM-L6-v2; or any HF checkpoint path or Hub id, or the "
                              "alias gemma-3-270m (accord.bases)")
    max_length: int = arg(128, "tokens per sentence (longer sentences are truncated)", low=8, high=512)
    epochs: int = arg(10, "training epochs (early stopping may end sooner)", low=1, high=100)
    batch_size: int = arg(16, "training batch size", low=1, high=1024)
    learning_rate: float = arg(1e-4, "peak learning rate (linear warm-up and decay)", low=1e-7, high=1.0)
    weight_decay: float = arg(0.01, "AdamW weight decay", low=0.0, high=1.0)
    warmup_ratio: float = arg(0.1, "share of the steps spent warming up", low=0.0, high=0.5)
    early_stopping_patience: int = arg(3, "epochs without a better validation macro-F1 before stopping", low=1)
    max_steps: int = arg(-1, ">0: stop after this many optimiser steps (tests, smoke runs)", low=-1)
    predict_batch_size: int = arg(32, "inference batch size: fastest on 2 cores (docs/classifier.md)", low=1)
    threads: int = arg(0, "torch threads; 0 = every core this process may use", low=0)
    sampling: str = arg("random", "training batches: random, or group_by_length (sentences of similar length "
                                  "together: less padding, faster steps)", choices=("random", "group_by_length"))
    bf16: bool = arg(False, "bfloat16 autocast in training (weights stay float32; prediction is float32): "
                            "~1.3x faster steps on a CPU with AVX512-BF16; float32 on one without")
    pooling: str = arg("mean", "mean: a head on the mean of the tokens (accord.classify.encoder); last: on the "
                               "last real token (what a causal decoder such as Gemma has read the whole sentence "
                               "at); cls: the [CLS] pooler of AutoModelForSequenceClassification",
                       choices=("mean", "last", "cls"))
    teacher: str = arg("", "distillation: a teacher's probabilities on the training sentences (comma-separated "
                           "JSONL files of training/teacher_scores.py; as given, else under the project root); "
                           "targets become (1 - teacher_weight)·gold + teacher_weight·teacher where a sentence "
                           "with gold is in one")
    teacher_weight: float = arg(0.5, "the teacher's share of the targets", low=0.0, high=1.0)
    teacher_unlabelled: str = arg("", "distillation on unlabelled text: comma-separated files of a teacher's "
                                      "probabilities on sentences with no gold (training/teacher_scores.py "
                                      "--unlabelled), added to training with those probabilities as targets")
    eval_sentences: int = arg(0, "per-epoch validation (best epoch, early stopping) on a seeded sample of this many "
                                 "validation sentences; 0 = all. Thresholds, logged scores and the gate always use "
                                 "all of validation", low=0)
    average_tail: float = arg(0.0, "average the weights of this last share of the optimiser steps (every tenth "
                                   "step and the last) and serve the average instead of the epoch kept: a tail "
                                   "average (as in SWA) that smooths one run's draw; 0 = off", low=0.0, high=1.0)
    freeze_embeddings: bool = arg(False, "keep the token embeddings fixed: with a large vocabulary (Gemma's 262,144 "
                                         "words, 63% of its weights) their gradients and AdamW state cost most of "
                                         "a step, for words a sentence classifier mostly never sees")
    keep_last_epoch: bool = arg(False, "train every epoch and keep the last (no early stopping, no best epoch): for "
                                       "a run whose validation is in its training data (refit_from sets it)")


@dataclass
class SetFitArguments:
    """Contrastive tuning of a sentence encoder, then a linear head (:mod:`accord.classify.setfit`)."""

    base_model: str = arg("", "empty: the embedded all-MiniLM-L6-v2; or any encoder path or Hub id")
    pairs_per_sentence: int = arg(4, "pairs drawn per training sentence (half sharing a label)", low=1, high=64)
    epochs: int = arg(1, "passes over the pairs", low=1, high=20)
    batch_size: int = arg(32, "pairs per step", low=2, high=512)
    learning_rate: float = arg(2e-5, "AdamW learning rate of the encoder", low=1e-7, high=1e-2)
    max_length: int = arg(96, "tokens per sentence", low=8, high=512)
    head_C: float = arg(4.0, "inverse regularisation of the logistic-regression head", low=1e-6, high=1e6)
    embed_batch_size: int = arg(64, "sentences per embedding batch", low=1)


@dataclass
class EnsembleArguments:
    """Averaged probabilities of member classifiers (:mod:`accord.classify.ensemble`): families, each with its own
    section of this config, or whole classifier config files (a MiniLM beside a Gemma, each with its own settings)."""

    members: str = arg("tfidf,minilm", "comma-separated members: families (tfidf, minilm, setfit; a family named "
                                       "again trains with the next seed: minilm,minilm,minilm is a seed ensemble), "
                                       "classifier config files (minilm.yaml,gemma.yaml; looked up as given, "
                                       "then in training/configs/classifier/), or registered versions taken as "
                                       "trained (models:/accord-classifier/2; trained on this run's data)")
    weights: str = arg("", "comma-separated weights in member order; empty: equal")
    member_overrides: str = arg("", "';'-separated key=value overrides for the members built from config files "
                                    "(minilm.max_steps=2: every such member; gemma.yaml:minilm.epochs=1: that "
                                    "file; member2:minilm.pooling=last: the third member, counted from 0 as in "
                                    "the metrics); a family member takes this config's own sections")

    def validate(self) -> None:
        names = self.member_list()
        if not names or any(n not in MEMBER_FAMILIES and not n.endswith(CONFIG_SUFFIXES) and not registered(n)
                            for n in names):
            raise ValueError(f"ensemble.members: families out of {', '.join(MEMBER_FAMILIES)}, .yaml config "
                             f"files or registered versions (models:/NAME/VERSION), got {self.members!r}")
        if self.weights and len(self.weight_list()) != len(names):
            raise ValueError("ensemble.weights: one weight per member")
        files = [f"member{k}" for k, n in enumerate(names) if n.endswith(CONFIG_SUFFIXES)]
        if self.member_overrides.strip() and not files:  # silently unused otherwise: families take this config
            raise ValueError("ensemble.member_overrides: no member is a config file; a family member takes this "
                             "config's own sections (set them directly)")
        for member, item in self.override_list():
            if member and member not in names and member not in files:
                raise ValueError(f"ensemble.member_overrides: {member!r} is not a member from a config file "
                                 f"({', '.join(n for n in names if n.endswith(CONFIG_SUFFIXES))} or "
                                 f"{', '.join(files)})")
            if "=" not in item:
                raise ValueError(f"ensemble.member_overrides: {item!r}: expected key=value")

    def override_list(self) -> list[tuple[str, str]]:
        """``(member file, memberK or "", "key=value")`` pairs; "" applies to every member from a file."""
        out = []
        for item in filter(None, (i.strip() for i in self.member_overrides.split(";"))):
            head, sep, rest = item.partition(":")
            if sep and (head.strip().endswith(CONFIG_SUFFIXES) or re.fullmatch(r"member\d+", head.strip())):
                out.append((head.strip(), rest.strip()))
            else:
                out.append(("", item))
        return out

    def overrides_for(self, index: int, name: str) -> list[str]:
        """The overrides of the ``index``-th member, read from file ``name``: all, its file's, then its own."""
        scoped = self.override_list()
        return [item for scope in ("", name, f"member{index}") for member, item in scoped if member == scope]

    def member_list(self) -> list[str]:
        return [m.strip() for m in self.members.split(",") if m.strip()]

    def weight_list(self) -> list[float]:
        if not self.weights:
            return [1.0] * len(self.member_list())
        try:
            return [float(w) for w in self.weights.split(",")]
        except ValueError:
            raise ValueError(f"ensemble.weights: numbers, got {self.weights!r}") from None


@dataclass
class ClassifierConfig:
    """Everything that defines a classifier training run: logged whole (the family's own section) to MLflow."""

    family: str = arg("tfidf", "model family", choices=FAMILIES)
    seed: int = arg(42, "seed of initialisation, shuffling and dropout")
    run_name: str = arg("", "MLflow run name; empty: family + a short config tag")
    limit_train: int = arg(0, ">0: train on the first N training sentences only (tests, smoke runs)", low=0)
    cv: int = arg(0, ">1: K-fold multi-label-stratified CV over the train reports, as nested runs", low=0, high=20)
    normalise: bool = arg(True, "unify US/UK spellings (defense -> defence) before the model sees a sentence")
    figures: bool = arg(True, "log each split's figures (confusion, precision-recall, F1 per label): about 5 s of "
                              "a run on 2 cores; off for quick sweeps (the metrics and reports stay)")
    tfidf: TfidfArguments = arg(help="the tfidf family's settings", factory=TfidfArguments)
    minilm: MiniLMArguments = arg(help="the minilm family's settings", factory=MiniLMArguments)
    setfit: SetFitArguments = arg(help="the setfit family's settings", factory=SetFitArguments)
    ensemble: EnsembleArguments = arg(help="the ensemble's members", factory=EnsembleArguments)
    refit_from: str = arg("", "a registered version (models:/accord-classifier/N) to train again with real "
                              "validation in the training data, the last step once a recipe is chosen: keeps the "
                              "version's thresholds and its last epoch, and is promoted by the refit rule, not the "
                              "validation gate (docs/decisions.md); empty: an ordinary run")
    data: DataConfig = arg(help="data and splits", factory=DataConfig)

    def validate(self) -> None:
        if self.cv == 1:
            raise ValueError("cv must be 0 (off) or at least 2 folds")
        if self.refit_from and not registered(self.refit_from):
            raise ValueError(f"refit_from: a registered version, models:/NAME/VERSION, got {self.refit_from!r}")
        if self.refit_from and (self.family not in REFIT_FAMILIES or self.cv):
            raise ValueError(f"refit_from: families {', '.join(REFIT_FAMILIES)} without cv (a refit trains one "
                             f"model on every labelled report), got family={self.family} cv={self.cv}")

    def family_settings(self) -> dict[str, Any]:
        """The settings that define this run: the common ones and its family's own sections (an ensemble's
        members' too, a member from a config file with all of its own), not the other families'."""
        used = set(self.ensemble.member_list()) | {"ensemble"} if self.family == "ensemble" else {self.family}
        own = to_dict(self)
        for other in FAMILIES:
            if other not in used:
                own.pop(other)
        if self.family == "ensemble" and used - set(FAMILIES):
            names = self.ensemble.member_list()  # a file named twice is told apart by its place (member2:…)
            own["ensemble"]["member_configs"] = {
                (name if names.count(name) == 1 else f"member{k}:{name}"):
                    {key: v for key, v in member.family_settings().items() if key != "data"}
                for k, (name, member) in enumerate(zip(names, member_configs(self), strict=True))
                if name not in FAMILIES}
        return own


def member_config_path(name: str) -> Path:
    """Where an ensemble member's config file is: as given (from the working directory), else in the shipped
    classifier configs."""
    given = Path(name).expanduser()
    shipped = paths.CONFIGS_DIR / "classifier" / name
    return given if given.is_file() or not shipped.is_file() else shipped


def registered(name: str) -> bool:
    """Whether an ensemble member names a registered version (``models:/NAME/VERSION``), taken as trained."""
    return REGISTERED_VERSION.fullmatch(name) is not None


def saved_meta(folder: Path, what: str) -> dict[str, Any]:
    """What a saved classifier's folder says of it (:data:`META_FILE`: family, labels, thresholds, config); a folder
    that holds no accord classifier is a :class:`~accord.config.ConfigError` naming ``what`` asked for it."""
    import json

    try:
        return json.loads((folder / META_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(f"{what}: not an accord classifier ({type(exc).__name__})") from None


def use_registered(uri: str, folder: Path) -> None:
    """Record where registered member ``uri`` is saved on this machine and read the config it was trained with, once
    per process. Model code does not read the MLflow store (the layering rule), so
    :func:`accord.classify.train.resolve_registered` finds the folder and records it here. A folder that holds no
    accord classifier, or holds an ensemble, is a :class:`~accord.config.ConfigError` naming the member."""
    meta = saved_meta(folder, f"ensemble member {uri}")
    if meta.get("family") == "ensemble":
        raise ConfigError(f"ensemble member {uri}: an ensemble member is one classifier, not another ensemble")
    _REGISTERED[uri] = (folder, config_from_meta(meta["config"]))


def registered_member(uri: str) -> tuple[Path, ClassifierConfig]:
    """A registered classifier version's own folder and the config it was trained with, as
    :func:`use_registered` recorded them; one not resolved from the store is a :class:`~accord.config.ConfigError`."""
    if uri not in _REGISTERED:
        raise ConfigError(f"ensemble member {uri}: not read from the store (accord train classifier reads it)")
    return _REGISTERED[uri]


def member_configs(cfg: ClassifierConfig) -> list[ClassifierConfig]:
    """An ensemble's members as configs of their own: a family shares this config's sections (its k-th repeat
    trains with seed + k), a file brings its own settings and ``ensemble.member_overrides``, and trains on this
    config's data; a registered version brings the config it was trained with. A file that cannot be read, an
    override it does not know or a file naming an ensemble is a :class:`~accord.config.ConfigError` naming it,
    raised before any run starts."""
    names = cfg.ensemble.member_list()
    out: list[ClassifierConfig] = []
    for k, name in enumerate(names):
        if name in MEMBER_FAMILIES:
            out.append(replace(cfg, family=name, seed=cfg.seed + names[:k].count(name)))
            continue
        if registered(name):
            out.append(registered_member(name)[1])
            continue
        try:
            member = load_config(ClassifierConfig, member_config_path(name), cfg.ensemble.overrides_for(k, name))
        except ConfigError as exc:
            raise ConfigError(str(exc) if str(exc).startswith(name) else f"ensemble member {name}: {exc}") from None
        if member.family == "ensemble":
            raise ConfigError(f"{name}: an ensemble member is one classifier, not another ensemble")
        out.append(replace(member, data=cfg.data, limit_train=cfg.limit_train))
    return out


def base_problems(cfg: ClassifierConfig) -> list[str]:
    """Checkpoint folders the run would train from that do not hold one, found before a run starts: a local
    ``base_model`` (a path, not an ``org/name`` Hub id or an alias of :mod:`accord.bases`) needs its
    ``config.json``; an ensemble's members are checked too."""
    if cfg.family == "ensemble":  # a registered member is trained: its base is not needed
        return [p for name, member in zip(cfg.ensemble.member_list(), member_configs(cfg), strict=True)
                if not registered(name) for p in base_problems(member)]
    problems = []
    if cfg.family == "minilm":
        from accord.classify.distill import teacher_files

        files = {key: teacher_files(getattr(cfg.minilm, key)) for key in ("teacher", "teacher_unlabelled")}
        problems += [f"minilm.{key}: no such file {path}" for key, found in files.items() for path in found
                     if not path.is_file()]
    for section in ("minilm", "setfit"):
        base = getattr(cfg, section).base_model
        if section != cfg.family or not base:
            continue
        if problem := alias_problem(base):
            problems.append(f"{section}.base_model: {problem}")
        if base in ALIASES or (Path(base).expanduser() / "config.json").is_file():
            continue
        if base.startswith(("/", ".", "~")) or base.count("/") > 1 or Path(base).exists():
            problems.append(f"{section}.base_model: no Hugging Face checkpoint (config.json) in {base}")
    return problems


def config_from_meta(values: dict[str, Any]) -> ClassifierConfig:
    """The config saved with a model; older flat configs (before the sections) load into the right sections, and
    a model saved before spelling normalisation existed keeps seeing its input unchanged."""
    flat = {"normalise": False, "minilm.pooling": "cls"} | flatten(values)  # what models saved before these used
    return from_dict(ClassifierConfig, flat, "saved model config", strict=False)
