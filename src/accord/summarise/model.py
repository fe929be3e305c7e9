"""Abstractive summarisers behind one interface: ``summarise(list[str]) -> list[str]``, ``save``, ``load``.

- ``causal``: any ``AutoModelForCausalLM`` (default Gemma 3 270M, converted once from the PyPI GGUF and cached
  under ``models/base/``), LoRA-tuned (``peft``) on a prompt format; loss and LM-head logits only on summary tokens
  (``logits_to_keep`` on left-padded batches), so the 262k-word vocabulary is not projected for the whole document.
- ``seq2seq``: any ``AutoModelForSeq2SeqLM`` checkpoint (T5, BART, Pegasus; local path or Hub id) or
  ``minilm2minilm``: an encoder-decoder warm-started from the embedded MiniLM.

This module builds, trains (the loss), saves and loads them; decoding (greedy, no repeated trigrams, one
proper-cased sentence) is in :mod:`accord.summarise.inference`. Settings live in :mod:`accord.summarise.config`,
base checkpoints in :mod:`accord.summarise.bases`, training in :mod:`accord.summarise.train`, the copy constraints
in :mod:`accord.summarise.decoding`.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from accord.bases import resolve_base
from accord.config import to_dict
from accord.summarise.bases import base_for, weights_digest
from accord.summarise.config import META_FILE, MINILM_WARMSTART, SummariserConfig, config_from_meta
from accord.summarise.inference import Inference, left_padded, sliced_decoding

FAST_LOAD_ENV = "ACCORD_FAST_LOAD"  # "0": load every summariser through transformers/peft (benchmarks, debugging)
FAST_LOAD = os.environ.get(FAST_LOAD_ENV, "1") != "0"  # Gemma 3 for inference without transformers/peft
REUSE_PROMPTS_ENV = "ACCORD_REUSE_PROMPTS"  # "0": briefs' agreement draws run their own prompt pass (benchmarks)
DECODER_ENV = "ACCORD_DECODER"  # JSON of decoding settings over a loaded model's saved ones (benchmarks)


class NeuralSummariser(Inference):
    """A fine-tunable summariser of either family (its decoding: :class:`~accord.summarise.inference.Inference`)."""

    def __init__(self, config: SummariserConfig, model: Any = None, tokenizer: Any = None) -> None:
        self.config, self.model, self.tokenizer = config, model, tokenizer
        self.m, self.g = config.model, config.generation  # the model and decoding sections, used everywhere
        self.common_ids: list[int] = []  # set by training (common_vocabulary) and saved with the model
        self._pieces: dict[int, str] = {}  # token id -> text, for WordConstraint
        self.origin: Path | None = None  # the saved folder it was loaded from (to reload through transformers)
        # prompt passes kept for the agreement draws of the summaries just written (briefs set keep_prompts)
        self.keep_prompts: bool = False
        self._prompts: Any = None
        # the last summarise call's document -> its summary's confidence, kept only when asked (evaluation)
        self.track_confidence: bool = False
        self._confidence: dict[str, float] = {}

    # ---- building
    def build(self, lora: bool = True) -> NeuralSummariser:
        """Load the base model (and wrap the causal one with LoRA adapters)."""
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        import torch
        from transformers import AutoTokenizer
        from transformers.utils import logging as hf_logging

        hf_logging.set_verbosity_error()
        base = resolve_base(self.m.base_model)
        torch.manual_seed(self.config.seed)  # after resolving: a first run's conversion must not move the LoRA init
        self.tokenizer = AutoTokenizer.from_pretrained(base)
        if self.m.family == "causal":
            self.model = self._build_causal(base, lora)
        else:
            self.model = self._build_seq2seq(base)
        self.tokenizer.padding_side = "left" if self.m.family == "causal" else "right"
        return self

    def _build_causal(self, base: str, lora: bool) -> Any:
        import torch
        from transformers import AutoModelForCausalLM

        model = AutoModelForCausalLM.from_pretrained(base, dtype=torch.float32)
        if self.tokenizer.eos_token is None:  # encoder-style tokenizers (tests): [SEP] ends a summary
            self.tokenizer.eos_token = self.tokenizer.sep_token
        if self.tokenizer.pad_token is None:
            self.tokenizer.pad_token = self.tokenizer.eos_token
        if not lora:
            return model
        from peft import LoraConfig, get_peft_model

        targets = [t.strip() for t in self.m.lora_targets.split(",") if t.strip()]
        return get_peft_model(model, LoraConfig(r=self.m.lora_r, lora_alpha=self.m.lora_alpha,
                                                lora_dropout=self.m.lora_dropout, target_modules=targets,
                                                task_type="CAUSAL_LM"))

    def _build_seq2seq(self, base: str) -> Any:
        if self.m.base_model == MINILM_WARMSTART:
            from transformers import EncoderDecoderModel

            model = EncoderDecoderModel.from_encoder_decoder_pretrained(base, base)
            tok = self.tokenizer
            for cfg in (model.config, model.generation_config):
                cfg.decoder_start_token_id = tok.cls_token_id
                cfg.eos_token_id = tok.sep_token_id
                cfg.pad_token_id = tok.pad_token_id
            return model
        from transformers import AutoModelForSeq2SeqLM

        return AutoModelForSeq2SeqLM.from_pretrained(base)

    # ---- encoding
    def _source_ids(self, document: str) -> list[int]:
        return self.tokenizer(document, add_special_tokens=False)["input_ids"][: self.m.max_source_tokens]

    def prompt_ids(self, document: str, source: str | None = None) -> list[int]:
        """Causal prompt tokens: the prompt template around the truncated document (``source``: that truncated text,
        where the caller has it already)."""
        doc = self.tokenizer.decode(self._source_ids(document)) if source is None else source
        head, _, tail = self.m.prompt.partition("{document}")
        return self.tokenizer(head + doc + tail, add_special_tokens=True)["input_ids"]

    def loss(self, documents: list[str], summaries: list[str]) -> Any:
        """Mean token cross-entropy of the reference summaries (summary positions only), under bfloat16 autocast
        when ``training.bf16`` and the device computes bf16 natively (the loss is float32 either way)."""
        import torch

        from accord.system import bf16_native

        device = next(self.model.parameters()).device
        bf16 = self.config.training.bf16 and bf16_native(device.type)
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=bf16):
            if self.m.family == "seq2seq":
                return self._seq2seq_loss(documents, summaries).float()
            return self._causal_loss(documents, summaries)

    def _causal_loss(self, documents: list[str], summaries: list[str]) -> Any:
        import torch
        import torch.nn.functional as F

        tok = self.tokenizer
        device = next(self.model.parameters()).device
        rows, targets = [], []
        for doc, summ in zip(documents, summaries, strict=True):
            target = tok(" " + summ, add_special_tokens=False)["input_ids"][: self.m.max_target_tokens]
            target.append(tok.eos_token_id)
            rows.append(self.prompt_ids(doc) + target)
            targets.append(len(target))
        input_ids, attention = left_padded(rows, tok.pad_token_id)
        width = input_ids.shape[1]
        labels = torch.full((len(rows), width), -100, dtype=torch.long)
        for i, (row, n_target) in enumerate(zip(rows, targets, strict=True)):
            labels[i, width - n_target:] = torch.tensor(row[-n_target:])
        keep = max(targets) + 1  # logits at the last `keep` positions predict every summary token
        position_ids = (attention.cumsum(-1) - 1).clamp(min=0)
        out = self.model(input_ids=input_ids.to(device), attention_mask=attention.to(device),
                         position_ids=position_ids.to(device), logits_to_keep=keep)
        logits = out.logits[:, :-1, :]
        gold = labels[:, width - keep + 1:].to(device)
        return F.cross_entropy(logits.reshape(-1, logits.shape[-1]).float(), gold.reshape(-1), ignore_index=-100)

    def _seq2seq_loss(self, documents: list[str], summaries: list[str]) -> Any:
        tok = self.tokenizer
        device = next(self.model.parameters()).device
        enc = tok(documents, truncation=True, max_length=self.m.max_source_tokens, padding=True,
                  return_tensors="pt", return_token_type_ids=False).to(device)
        labels = tok(summaries, truncation=True, max_length=self.m.max_target_tokens, padding=True,
                     return_tensors="pt")["input_ids"].to(device)
        labels[labels == tok.pad_token_id] = -100
        return self.model(**enc, labels=labels).loss

    # ---- decoding (the methods of Inference), which may need the model back through transformers
    def _reload(self) -> None:
        """The saved model again through transformers (:func:`load_summariser` with ``fast`` off), for decoding that
        needs ``generate``: a model loaded fast whose decoding settings left the sliced path since."""
        reloaded = load_summariser(self.origin, fast=False)
        self.model, self.tokenizer = reloaded.model, reloaded.tokenizer

    # ---- persistence
    def save(self, path: str | os.PathLike[str]) -> Path:
        """Causal: the LoRA adapter + a pinned reference to the cached base (name and weights digest), not a
        gigabyte copy of the base. Seq2seq: the whole model. Both with the tokenizer and this config."""
        p = Path(path)
        p.mkdir(parents=True, exist_ok=True)
        self.model.save_pretrained(p / "weights")
        self.tokenizer.save_pretrained(p / "weights")
        causal = self.m.family == "causal"
        base = resolve_base(self.m.base_model) if causal else ""
        meta = {"family": self.m.family, "config": to_dict(self.config), "adapter_only": causal,
                "base_path": str(Path(base).resolve()) if base and Path(base).exists() else base,
                "base_digest": weights_digest(base) if base else "", "common_ids": self.common_ids}
        (p / META_FILE).write_text(json.dumps(meta, indent=2), encoding="utf-8")
        return p


def _load_causal(meta: dict[str, Any], config: SummariserConfig, weights: Path) -> Any:
    import torch
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(base_for(meta, config), dtype=torch.float32)
    return PeftModel.from_pretrained(model, weights).merge_and_unload()


def _load_fast(meta: dict[str, Any], config: SummariserConfig, weights: Path) -> tuple[Any, Any] | None:
    """``(model, tokenizer)`` through :mod:`accord.summarise.gemma3` and :mod:`accord.summarise.tokenizer` (no
    transformers or peft import; the tokenizer is read while the weights load), or ``None`` where they do not
    apply."""
    from concurrent.futures import ThreadPoolExecutor

    from accord.summarise import gemma3
    from accord.summarise import tokenizer as fast_tokenizer

    with ThreadPoolExecutor(max_workers=1) as pool:
        reading = pool.submit(fast_tokenizer.load, weights)
        model = gemma3.load(base_for(meta, config), weights)
        tokenizer = reading.result()
    return (model, tokenizer) if model is not None and tokenizer is not None else None


def load_summariser(path: str | os.PathLike[str], fast: bool = FAST_LOAD) -> NeuralSummariser:
    """Load a summariser saved by :meth:`NeuralSummariser.save` (re-creating the cached base if needed); with
    ``fast``, a causal model that decodes on the sliced path loads without transformers where it can."""
    p = Path(path)
    meta = json.loads((p / META_FILE).read_text(encoding="utf-8"))
    config = decoder_overrides(config_from_meta(meta["config"]))
    common_ids = list(meta.get("common_ids", []))
    loaded = None
    if meta["family"] == "causal" and fast and sliced_decoding(config.generation, common_ids):
        loaded = _load_fast(meta, config, p / "weights")
    if loaded is None:
        from transformers import AutoTokenizer

        loaded = _load_transformers(meta, config, p / "weights"), AutoTokenizer.from_pretrained(p / "weights")
    model, tokenizer = loaded
    tokenizer.padding_side = "left" if meta["family"] == "causal" else "right"
    summariser = NeuralSummariser(config, model.eval(), tokenizer)
    summariser.common_ids, summariser.origin = common_ids, p
    return summariser


def decoder_overrides(config: SummariserConfig) -> SummariserConfig:
    """``config`` with the decoding settings of ``$ACCORD_DECODER`` (a JSON object, e.g. ``{"sliced_head": false}``)
    in place of the saved ones, so a benchmark can run a whole command with another decoder; a key that is not a
    decoding setting, or a value of the wrong type, is refused."""
    from dataclasses import replace

    from accord.config import ConfigError, check, from_dict
    from accord.summarise.config import GenerationArguments

    raw = os.environ.get(DECODER_ENV, "").strip()
    if not raw:
        return config
    try:
        values = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"${DECODER_ENV} is not JSON: {exc}") from None
    if not isinstance(values, dict):
        raise ConfigError(f"${DECODER_ENV} must be a JSON object of decoding settings, got {raw!r}")
    given = from_dict(GenerationArguments, values, f"${DECODER_ENV}")  # keys and types checked
    generation = replace(config.generation, **{key: getattr(given, key) for key in values})
    check(generation)
    return replace(config, generation=generation)


def _load_transformers(meta: dict[str, Any], config: SummariserConfig, weights: Path) -> Any:
    if meta["family"] == "causal":
        return _load_causal(meta, config, weights)
    from transformers import AutoModelForSeq2SeqLM, EncoderDecoderModel

    cls = EncoderDecoderModel if config.model.base_model == MINILM_WARMSTART else AutoModelForSeq2SeqLM
    return cls.from_pretrained(weights)
