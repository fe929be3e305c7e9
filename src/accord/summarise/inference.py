"""How a :class:`~accord.summarise.model.NeuralSummariser` writes summaries: its decoding methods, kept apart from
building, the training loss and persistence (``model``) so each file stays short.

Decoding is conservative (greedy, no repeated trigrams), stops at the first sentence end, never echoes the prompt,
and returns one proper-cased sentence. The causal model decodes on the sliced head
(:mod:`accord.summarise.generate`) when the copy constraints allow it, else through ``generate`` with the logits
processors of :mod:`accord.summarise.decoding`; n-best candidates and the briefs' agreement draws are seeded per
document (:mod:`accord.summarise.rerank` chooses among them) and may reuse the summaries' prompt passes
(:mod:`accord.summarise.prompts`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from accord.summarise.config import GenerationArguments, ModelArguments
from accord.summarise.decoding import CopyConstraint, WordConstraint, first_sentence, tidy

PROMPT_CACHE_DOCS = 64  # prompt passes kept for the agreement draws (a batch command's summariser call; ~9 MB each)


class Inference:
    """The summariser's decoding, mixed into :class:`~accord.summarise.model.NeuralSummariser`, which provides the
    attributes below, ``prompt_ids``, ``_source_ids`` and ``_reload`` (back through transformers)."""

    model: Any
    tokenizer: Any
    m: ModelArguments
    g: GenerationArguments
    common_ids: list[int]
    _pieces: dict[int, str]
    origin: Path | None
    keep_prompts: bool
    _prompts: Any
    _confidence: dict[str, float]
    track_confidence: bool

    def summarise(self, documents: list[str]) -> list[str]:
        """One proper-cased sentence per document (greedy, no repeated trigrams, first sentence only)."""
        import numpy as np
        import torch

        if not documents:
            return []
        self.model.eval()
        self._confidence = {}
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

    def confidence(self, documents: list[str]) -> list[float | None]:
        """Each document's greedy summary's mean token log-probability over its own tokens (the prompt's and the
        common words; not the batch's whole slice, so it is the same whatever shares the batch), from the last
        :meth:`summarise` call with ``track_confidence`` on (``None`` where it did not score the document that
        way): how sure the model was, computed by the decode itself."""
        return [self._confidence.get(d) for d in documents]

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
            self._reload()
        tok = self.tokenizer
        device = next(self.model.parameters()).device
        sources, rows = self.encoded(batch)
        ids, mask = left_padded(rows, tok.pad_token_id)
        width = ids.shape[1]
        stops = [tok.eos_token_id, *tok("\n", add_special_tokens=False)["input_ids"][-1:]]
        gen = self.model.generate(input_ids=ids.to(device), attention_mask=mask.to(device), eos_token_id=stops,
                                  pad_token_id=tok.pad_token_id,
                                  logits_processor=self._processors(rows, sources, width), **self._generate_kwargs())
        return tok.batch_decode(gen[:, width:], skip_special_tokens=True)  # never echo the prompt

    def encoded(self, batch: list[str]) -> tuple[list[str], list[list[int]]]:
        """Each document's truncated source text (what the checks read) and its prompt's token ids, built from that
        text: each document is tokenised once for both."""
        sources = [self.tokenizer.decode(self._source_ids(d)) for d in batch]
        return sources, [self.prompt_ids(d, src) for d, src in zip(batch, sources, strict=True)]

    def _lexicon(self) -> list[str] | None:
        """The tokenizer's whole words, sorted (``generation.copy_lexicon``), else ``None``."""
        from accord.summarise.pieces import lexicon

        return lexicon(self.tokenizer) if self.g.copy_lexicon else None

    def _generate_sliced(self, batch: list[str], samplers: list[Any] | None = None) -> tuple[list[str], list[float]]:
        """Greedy decoding with the LM head sliced to the tokens the copy constraint allows (the fast path), or draws
        where ``samplers`` has one for the row: the texts and their mean token log-probabilities."""
        import torch

        from accord.summarise.generate import SlicedGreedy
        from accord.summarise.pieces import source_variants

        tok = self.tokenizer
        bf16 = self.prepare_bf16()
        if self.g.int8:
            from accord.summarise import gemma3

            gemma3.quantize_int8(self.model)  # once: later calls find no fp32 Linear left
        sources, rows = self.encoded(batch)
        ids, mask = left_padded(rows, tok.pad_token_id)
        words = WordConstraint(tok, sources, ids.shape[1], 1, self._pieces, None, names=self.g.copy_names,
                               topics=self.g.copy_topics, lexicon=self._lexicon(), claims=self.g.copy_claims,
                               titles=self.g.copy_titles, spans=self.g.copy_spans)
        common = set(self.common_ids)
        # the token level is the prompt's tokens and the common vocabulary (as CopyConstraint's); other ways of
        # writing the source's words may only start or continue a name or number
        row_ids = [set(r) | common for r in rows]
        stops = [tok.eos_token_id, *tok("\n", add_special_tokens=False)["input_ids"][-1:]]
        decoder = SlicedGreedy(self.model, tok, words, row_ids, source_variants(tok, sources), stops,
                               self.g.no_repeat_ngram_size, self.g.no_repeat_words, self.g.ngrams_in_prompt,
                               sources if self.g.copy_roles else None, self.g.draft_tokens, self.g.cut_dead_ends,
                               samplers, bf16, self._prompt_cache(), self.track_confidence and samplers is None)
        with torch.inference_mode():  # also when called directly (tests, benchmarks): no autograd graph
            out = decoder.run(ids, mask, self.g.max_new_tokens)
        if decoder.confidences:
            self._confidence.update(zip(batch, decoder.confidences, strict=True))
        return tok.batch_decode(out, skip_special_tokens=True), decoder.scores

    def prepare_bf16(self) -> bool:
        """Whether this decode's prefill runs under bf16 autocast (``generation.bf16_prefill`` on a CPU with native
        bf16); accord's Gemma 3 then keeps a bf16 copy of its projections, made once, which its one-token steps also
        read with ``generation.bf16_steps``."""
        from accord.summarise import gemma3
        from accord.system import bf16_native

        native = next(self.model.parameters()).device.type == "cpu" and bf16_native("cpu")
        if native and (self.g.bf16_prefill or self.g.bf16_steps):
            gemma3.add_bf16_copies(self.model)
        gemma3.set_bf16_steps(self.model, native and self.g.bf16_steps)  # also off again for a later fp32 decode
        gemma3.set_bf16_attention(self.model, native and self.g.bf16_attention)
        gemma3.set_bf16_cache(self.model, native and self.g.bf16_cache)
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
                                   claims=self.g.copy_claims, titles=self.g.copy_titles, spans=self.g.copy_spans)
            return LogitsProcessorList([words])
        return LogitsProcessorList([copy] if copy is not None else [])


def sliced_decoding(g: GenerationArguments, common_ids: list[int]) -> bool:
    """Whether decoding takes the sliced-head path (:mod:`accord.summarise.generate`) rather than ``generate``."""
    return bool(g.sliced_head and g.copy_words and common_ids and g.num_beams == 1)


def left_padded(rows: list[list[int]], pad_id: int) -> tuple[Any, Any]:
    """``(input_ids, attention_mask)`` of token rows padded on the left to the longest."""
    import torch

    width = max(len(r) for r in rows)
    ids = torch.full((len(rows), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(rows), width), dtype=torch.long)
    for i, r in enumerate(rows):
        ids[i, width - len(r):] = torch.tensor(r)
        mask[i, width - len(r):] = 1
    return ids, mask
