"""Abstractive summarisers behind one interface: ``summarise(list[str]) -> list[str]``, ``save``, ``load``.

- ``causal``: any ``AutoModelForCausalLM`` (default Gemma 3 270M, converted once from the PyPI GGUF and cached
  under ``models/base/``), LoRA-tuned (``peft``) on a prompt format; loss and LM-head logits only on summary tokens
  (``logits_to_keep`` on left-padded batches), so the 262k-word vocabulary is not projected for the whole document.
- ``seq2seq``: any ``AutoModelForSeq2SeqLM`` checkpoint (T5, BART, Pegasus; local path or Hub id) or
  ``minilm2minilm``: an encoder-decoder warm-started from the embedded MiniLM.

Decoding is conservative (greedy, no repeated trigrams), stops at the first sentence end, never echoes the prompt,
and returns one proper-cased sentence. Settings live in :mod:`accord.summarise.config`, base checkpoints in
:mod:`accord.summarise.bases`, training in :mod:`accord.summarise.train`, the copy constraints in
:mod:`accord.summarise.decoding`.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from accord.config import to_dict
from accord.summarise.bases import base_for, resolve_base, weights_digest
from accord.summarise.config import MINILM_WARMSTART, GenerationArguments, SummariserConfig, config_from_meta
from accord.summarise.decoding import CopyConstraint, WordConstraint, first_sentence, tidy

META_FILE = "accord_summariser.json"
FAST_LOAD_ENV = "ACCORD_FAST_LOAD"  # "0": load every summariser through transformers/peft (benchmarks, debugging)
FAST_LOAD = os.environ.get(FAST_LOAD_ENV, "1") != "0"  # Gemma 3 for inference without transformers/peft
REUSE_PROMPTS_ENV = "ACCORD_REUSE_PROMPTS"  # "0": briefs' agreement draws run their own prompt pass (benchmarks)


class NeuralSummariser:
    """A fine-tunable summariser of either family."""

    def __init__(self, config: SummariserConfig, model: Any = None, tokenizer: Any = None) -> None:
        self.config, self.model, self.tokenizer = config, model, tokenizer
        self.m, self.g = config.model, config.generation  # the model and decoding sections, used everywhere
        self.common_ids: list[int] = []  # set by training (common_vocabulary) and saved with the model
        self._pieces: dict[int, str] = {}  # token id -> text, for WordConstraint
        self.origin: Path | None = None  # the saved folder it was loaded from (to reload through transformers)
        # prompt passes kept for the agreement draws of the summaries just written (briefs set keep_prompts)
        self.keep_prompts: bool = False
        self._prompts: Any = None

    # ---- building
    def build(self, lora: bool = True) -> NeuralSummariser:
        """Load the base model (and wrap the causal one with LoRA adapters)."""
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        import torch
        from transformers import AutoTokenizer
        from transformers.utils import logging as hf_logging

        hf_logging.set_verbosity_error()
        torch.manual_seed(self.config.seed)
        base = resolve_base(self.m.base_model)
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

    def prompt_ids(self, document: str) -> list[int]:
        """Causal prompt tokens: the prompt template around the truncated document."""
        doc = self.tokenizer.decode(self._source_ids(document))
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
        input_ids, attention = _left_padded(rows, tok.pad_token_id)
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

    # ---- generation
    def summarise(self, documents: list[str]) -> list[str]:
        """One proper-cased sentence per document (greedy, no repeated trigrams, first sentence only)."""
        import numpy as np
        import torch

        if not documents:
            return []
        self.model.eval()
        order = np.argsort([len(d) for d in documents], kind="stable")
        out = [""] * len(documents)
        generate = self._generate_causal if self.m.family == "causal" else self._generate_seq2seq
        n_best = self.g.n_best if self.g.n_best > 1 and sliced_decoding(self.g, self.common_ids) else 1
        mbr = n_best > 1 and self.g.n_best_select == "mbr"  # draws for every document: fewer per batch
        step = max(1, self.g.generate_batch_size // n_best) if mbr else self.g.generate_batch_size
        with torch.inference_mode():
            for start in range(0, len(documents), step):
                idx = order[start:start + step]
                batch = [documents[i] for i in idx]
                texts = self._n_best(batch, n_best) if n_best > 1 else generate(batch)
                for i, text in zip(idx, texts, strict=True):
                    out[i] = self._finish(text, documents[i])
        return out

    def _finish(self, text: str, document: str) -> str:
        text = first_sentence(text, self.g.max_words)
        return tidy(text, document) if self.g.tidy else text

    def _n_best(self, batch: list[str], n_best: int) -> list[str]:
        """Each document's kept candidate (``generation.n_best``, :mod:`accord.summarise.rerank`): the greedy
        summary and ``n_best - 1`` draws. With ``checks`` only the documents whose greedy summary is flagged are
        drawn for (the others keep it anyway), so the cost is one greedy decode plus the draws of those."""
        from accord.summarise.guard import soundness_problems
        from accord.summarise.rerank import choose

        greedy, greedy_scores = self._generate_sliced(batch)
        mbr = self.g.n_best_select == "mbr"
        todo = [j for j, d in enumerate(batch) if mbr or soundness_problems(self._finish(greedy[j], d), d)]
        draws, draw_scores = self._generate_sliced(*self._draw_rows([batch[j] for j in todo], n_best)) if todo \
            else ([], [])
        kept = list(greedy)
        for at, j in enumerate(todo):
            texts = [greedy[j], *draws[at * (n_best - 1):(at + 1) * (n_best - 1)]]
            scores = [greedy_scores[j], *draw_scores[at * (n_best - 1):(at + 1) * (n_best - 1)]]
            candidates = [self._finish(t, batch[j]) for t in texts]
            kept[j] = texts[choose(candidates, scores, batch[j], self.g.n_best_select)]
        return kept

    def doubts(self, documents: list[str], summaries: list[str]) -> list[list[str]]:
        """Why each summary should not be shown (empty: no reason found): the soundness checks, then, for the
        summaries they pass, agreement with ``agreement_draws`` draws (:func:`accord.summarise.rerank.doubts`)."""
        from accord.summarise.rerank import doubts

        n = self.g.agreement_draws if sliced_decoding(self.g, self.common_ids) else 0
        try:
            return doubts(summaries, documents, (lambda docs: self.draws(docs, n)) if n else None,
                          self.g.agreement_min)
        finally:
            if self._prompts is not None:
                self._prompts.clear()  # used by these draws; the next documents bring their own

    def _prompt_cache(self) -> Any:
        """Where the sliced decoder keeps prompt passes for the agreement draws (``keep_prompts`` and draws on),
        enough for one batch command's call (``PROMPT_CACHE_DOCS``); ``None`` otherwise."""
        if not (self.keep_prompts and self.g.agreement_draws):
            return None
        if self._prompts is None:
            from accord.summarise.prompts import PromptCache

            self._prompts = PromptCache(PROMPT_CACHE_DOCS)
        return self._prompts

    def draws(self, documents: list[str], n: int) -> list[list[str]]:
        """``n`` seeded draws of each document, finished like its summary (:meth:`_draw_rows`), decoded
        ``generate_batch_size`` rows at a time."""
        out: list[list[str]] = []
        step = max(1, self.g.generate_batch_size // n)
        for start in range(0, len(documents), step):
            batch = documents[start:start + step]
            texts, _ = self._generate_sliced(*self._draw_rows(batch, n + 1))
            out += [[self._finish(t, d) for t in texts[at * n:(at + 1) * n]] for at, d in enumerate(batch)]
        return out

    def _draw_rows(self, documents: list[str], n_best: int) -> tuple[list[str], list[Any]]:
        """Rows and samplers of each document's ``n_best - 1`` draws, each seeded by the sample seed, the draw's
        number and the document's text (the same draws whatever else is in the batch)."""
        import zlib

        from accord.summarise.generate import Sampler

        rows, samplers = [], []
        for d in documents:
            for k in range(1, n_best):
                seed = (self.g.sample_seed * 1_000_003 + k * 7_919 + zlib.crc32(d.encode("utf-8"))) % 2**31
                rows.append(d)
                samplers.append(Sampler(seed, self.g.sample_temperature))
        return rows, samplers

    def _generate_kwargs(self) -> dict[str, Any]:
        return {"max_new_tokens": self.g.max_new_tokens, "num_beams": self.g.num_beams, "do_sample": False,
                "no_repeat_ngram_size": self.g.no_repeat_ngram_size}

    def _generate_causal(self, batch: list[str]) -> list[str]:
        if sliced_decoding(self.g, self.common_ids):
            return self._generate_sliced(batch)[0]
        if not hasattr(self.model, "generate") and self.origin is not None:  # loaded fast, decoding changed since
            reloaded = load_summariser(self.origin, fast=False)
            self.model, self.tokenizer = reloaded.model, reloaded.tokenizer
        tok = self.tokenizer
        device = next(self.model.parameters()).device
        rows = [self.prompt_ids(d) for d in batch]
        ids, mask = _left_padded(rows, tok.pad_token_id)
        width = ids.shape[1]
        stops = [tok.eos_token_id, *tok("\n", add_special_tokens=False)["input_ids"][-1:]]
        sources = [tok.decode(self._source_ids(d)) for d in batch]
        gen = self.model.generate(input_ids=ids.to(device), attention_mask=mask.to(device), eos_token_id=stops,
                                  pad_token_id=tok.pad_token_id,
                                  logits_processor=self._processors(rows, sources, width), **self._generate_kwargs())
        return tok.batch_decode(gen[:, width:], skip_special_tokens=True)  # never echo the prompt

    def _lexicon(self) -> list[str] | None:
        """The tokenizer's whole words, sorted (``generation.copy_lexicon``), else ``None``."""
        from accord.summarise.generate import lexicon

        return lexicon(self.tokenizer) if self.g.copy_lexicon else None

    def _generate_sliced(self, batch: list[str], samplers: list[Any] | None = None) -> tuple[list[str], list[float]]:
        """Greedy decoding with the LM head sliced to the tokens the copy constraint allows (the fast path), or draws
        where ``samplers`` has one for the row: the texts and their mean token log-probabilities."""
        import torch

        from accord.summarise.generate import SlicedGreedy, source_variants

        tok = self.tokenizer
        bf16 = self._decode_bf16()
        if self.g.int8:
            from accord.summarise import gemma3

            gemma3.quantize_int8(self.model)  # once: later calls find no fp32 Linear left
        rows = [self.prompt_ids(d) for d in batch]
        ids, mask = _left_padded(rows, tok.pad_token_id)
        source_ids = [self._source_ids(d) for d in batch]
        sources = [tok.decode(s) for s in source_ids]
        words = WordConstraint(tok, sources, ids.shape[1], 1, self._pieces, None, names=self.g.copy_names,
                               topics=self.g.copy_topics, lexicon=self._lexicon(), claims=self.g.copy_claims)
        common = set(self.common_ids)
        # the token level is the prompt's tokens and the common vocabulary (as CopyConstraint's); other ways of
        # writing the source's words may only start or continue a name or number
        row_ids = [set(r) | common for r in rows]
        stops = [tok.eos_token_id, *tok("\n", add_special_tokens=False)["input_ids"][-1:]]
        decoder = SlicedGreedy(self.model, tok, words, row_ids, source_variants(tok, sources), stops,
                               self.g.no_repeat_ngram_size, self.g.no_repeat_words, self.g.ngrams_in_prompt,
                               sources if self.g.copy_roles else None, self.g.draft_tokens, self.g.cut_dead_ends,
                               samplers, bf16, self._prompt_cache())
        with torch.inference_mode():  # also when called directly (tests, benchmarks): no autograd graph
            out = decoder.run(ids, mask, self.g.max_new_tokens)
        return tok.batch_decode(out, skip_special_tokens=True), decoder.scores

    def _decode_bf16(self) -> bool:
        """Whether this decode's prefill runs under bf16 autocast (``generation.bf16_prefill`` on a CPU with native
        bf16); accord's Gemma 3 then keeps a bf16 copy of its projections, made once, which its one-token steps also
        read with ``generation.bf16_steps``."""
        from accord.summarise import gemma3
        from accord.system import bf16_native

        native = next(self.model.parameters()).device.type == "cpu" and bf16_native("cpu")
        if native and (self.g.bf16_prefill or self.g.bf16_steps):
            gemma3.add_bf16_copies(self.model)
        gemma3.set_bf16_steps(self.model, native and self.g.bf16_steps)  # also off again for a later fp32 decode
        return native and self.g.bf16_prefill

    def _generate_seq2seq(self, batch: list[str]) -> list[str]:
        tok = self.tokenizer
        device = next(self.model.parameters()).device
        enc = tok(batch, truncation=True, max_length=self.m.max_source_tokens, padding=True, return_tensors="pt",
                  return_token_type_ids=False).to(device)
        source_ids = enc["input_ids"].tolist()
        sources = tok.batch_decode(source_ids, skip_special_tokens=True)
        gen = self.model.generate(**enc, logits_processor=self._processors(source_ids, sources, 0),
                                  **self._generate_kwargs())
        return tok.batch_decode(gen, skip_special_tokens=True)

    def _processors(self, source_ids: list[list[int]], sources: list[str], prompt_width: int) -> Any:
        """Copy constraints: source tokens + common words (token level), then whole source words for names and
        numbers (word level); ``prompt_width`` is where the output starts in the causal model's rows."""
        from transformers import LogitsProcessorList

        copy = None
        if self.g.copy_constrained and self.common_ids:
            vocab = self.model.get_output_embeddings().weight.shape[0]
            copy = CopyConstraint(source_ids, set(self.common_ids), vocab)
        if self.g.copy_words:  # the word-level processor applies the token-level one itself
            keep = max(2, 2 * self.g.num_beams)
            words = WordConstraint(self.tokenizer, sources, prompt_width, keep, self._pieces, copy,
                                   names=self.g.copy_names, topics=self.g.copy_topics, lexicon=self._lexicon(),
                                   claims=self.g.copy_claims)
            return LogitsProcessorList([words])
        return LogitsProcessorList([copy] if copy is not None else [])

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


PROMPT_CACHE_DOCS = 64  # prompt passes kept for the agreement draws (a batch command's summariser call; ~9 MB each)


def sliced_decoding(g: GenerationArguments, common_ids: list[int]) -> bool:
    """Whether decoding takes the sliced-head path (:mod:`accord.summarise.generate`) rather than ``generate``."""
    return bool(g.sliced_head and g.copy_words and common_ids and g.num_beams == 1)


def _left_padded(rows: list[list[int]], pad_id: int) -> tuple[Any, Any]:
    """``(input_ids, attention_mask)`` of token rows padded on the left to the longest."""
    import torch

    width = max(len(r) for r in rows)
    ids = torch.full((len(rows), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(rows), width), dtype=torch.long)
    for i, r in enumerate(rows):
        ids[i, width - len(r):] = torch.tensor(r)
        mask[i, width - len(r):] = 1
    return ids, mask


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
    config = config_from_meta(meta["config"])
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


def _load_transformers(meta: dict[str, Any], config: SummariserConfig, weights: Path) -> Any:
    if meta["family"] == "causal":
        return _load_causal(meta, config, weights)
    from transformers import AutoModelForSeq2SeqLM, EncoderDecoderModel

    cls = EncoderDecoderModel if config.model.base_model == MINILM_WARMSTART else AutoModelForSeq2SeqLM
    return cls.from_pretrained(weights)
