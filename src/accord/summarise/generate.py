"""Greedy decoding for the causal summariser, computing logits only for the tokens the copy constraint can allow.

Gemma 3 270M spends 168 M of its 270 M parameters on a 262,144-word LM head. Under the copy constraint only the
source's tokens, the common summary vocabulary and the other tokenisations of the source's words
(:func:`accord.summarise.pieces.source_variants`) can ever be emitted, a few thousand ids per batch; so the head is
sliced to that set once per batch (``W[allowed]``), the transformer body runs with its KV cache one token at a time,
and each row picks the best-scoring candidate that the word and name checks of
:class:`~accord.summarise.decoding.WordConstraint` accept. Repeated trigrams are banned as ``no_repeat_ngram_size``
does, and with ``no_repeat_words`` a lower-case content word the summary already used may not start again (no
"trade, investment, trade and tourism" loops). The final-logit soft-capping of some models is skipped: it is
monotone, so the greedy choice does not change.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from accord.summarise.decoding import WordConstraint, _only_continues, _starts_checked_word
from accord.summarise.metrics import STOP
from accord.summarise.prompts import PromptCache
from accord.summarise.roles import people, roles_against

_LAST_WORD = re.compile(r"(?<![\w-])([a-z][a-z-]{3,})$")
# the run of capitalised words (titles, countries, names; "of", "bin" between them) that ends the output
_TITLED_NAME = re.compile(r"(?:[A-Z][\w'’.-]*\s+(?:(?:of|the|for|and|bin|binti|al|de|van|von)\s+)*)*[A-Z][\w'’-]*$")
_WORDS = re.compile(r"(?<![\w-])[a-z][a-z-]{3,}(?![\w-])")

PREFILL_ROWS = 8  # prompts per prompt pass on accord's Gemma 3 (activations below glibc's 32 MB mmap threshold)
DRAFT_NGRAMS = (3, 2, 1)  # a draft continues the prompt after its first copy of the output's last 3, 2 or 1 tokens


def _continuations(prompt: list[int]) -> Any:
    """A function giving up to ``k`` prompt tokens that follow the first copy of the output's last tokens there:
    the draft of prompt-lookup decoding (a summary copies runs of its source)."""
    after: dict[tuple[int, ...], int] = {}
    for n in DRAFT_NGRAMS:
        for i in range(len(prompt) - n):
            after.setdefault(tuple(prompt[i:i + n]), i + n)

    def draft(ids: list[int], k: int) -> list[int]:
        for n in DRAFT_NGRAMS:
            at = after.get(tuple(ids[-n:])) if len(ids) >= n else None
            if at is not None:
                return prompt[at:at + k]
        return []
    return draft


@dataclass
class _Row:
    """One summary being written."""

    ids: list[int] = field(default_factory=list)
    text: str = ""
    done: bool = False
    logprob: float = 0.0  # sum of the chosen tokens' log-probabilities (over the sliced head)
    scored: int = 0  # tokens in ``logprob``
    own: float = 0.0  # the same over the row's own tokens only (its prompt's, the common words, the chosen one)


@dataclass(frozen=True)
class Sampler:
    """Draws one row's candidate instead of taking the greedy path: Gumbel noise over the whole vocabulary (so a
    document's draw does not depend on which documents share its batch), seeded by ``seed`` and the step."""

    seed: int
    temperature: float = 1.0


class SlicedGreedy:
    """Greedy constrained decoding of a batch of prompts with a sliced LM head and a KV cache."""

    def __init__(self, model: Any, tokenizer: Any, words: WordConstraint, row_ids: list[set[int]], extra: set[int],
                 stops: list[int], no_repeat_ngram: int = 3, no_repeat_words: bool = True,
                 prompt_ngrams: bool = False, sources: list[str] | None = None, draft: int = 0,
                 cut_dead_ends: bool = False, samplers: list[Sampler | None] | None = None,
                 bf16_prefill: bool = False, prompt_cache: PromptCache | None = None, confidences: bool = False
                 ) -> None:
        """``row_ids``: each row's token level (its prompt's tokens and the common vocabulary); ``extra``: other
        tokens that may only start or continue a name or number (the word check decides); ``sources``: with them,
        a name may not be finished with an office or country its source does not give that person; ``draft``:
        tokens copied ahead from the prompt and checked in one forward pass (0: one token per pass);
        ``cut_dead_ends``: where no token passes the checks, end before the unfinished list item; ``samplers``: per
        row, a :class:`Sampler` that draws it (``None``: greedy); ``bf16_prefill``: the prompts' pass under bf16
        autocast (the steps stay fp32); ``prompt_cache``: prompt passes are read from it when every row's is there,
        and stored in it otherwise (accord's Gemma 3 only); ``confidences``: also score each row over its own
        tokens (:attr:`confidences`; 64 µs a token, so only where asked)."""
        import torch

        self.body, head, self.cache_kw, self.accord_body = parts(model)
        self.tok, self.words, self.stops = tokenizer, words, set(stops)
        self.allowed = sorted(set().union(*row_ids) | extra | self.stops)
        self.device = head.weight.device  # the steps run there; the checks read each step's scores on the CPU
        self.index = torch.tensor(self.allowed, dtype=torch.long)  # CPU: it also picks a draw's noise
        self.weight = head.weight.detach()[self.index.to(self.device)]  # |allowed| x hidden: the sliced head
        self.row_mask = torch.zeros((len(row_ids), len(self.allowed)), dtype=torch.bool)
        position = {t: k for k, t in enumerate(self.allowed)}
        for r, ids in enumerate(row_ids):
            self.row_mask[r, [position[t] for t in ids | self.stops]] = True
        self.no_repeat_ngram, self.no_repeat_words = no_repeat_ngram, no_repeat_words
        self.prompt_ngrams = prompt_ngrams  # also ban n-grams of the prompt, as transformers' generate() does
        self.prompts: list[list[int]] = []
        self.people = [people(src) for src in sources] if sources is not None else None  # per row, for roles
        # drafts leave masked-out columns in the cache; only accord's own Gemma 3 body keeps windows right then
        self.draft = draft if self.accord_body else 0
        self.cut_dead_ends, self.bf16_prefill = cut_dead_ends, bf16_prefill
        self.prompt_cache = prompt_cache if self.accord_body else None
        self.passes = 0  # forward passes of the body in the last run (a draft that holds saves passes)
        self.samplers, self.vocab = samplers, head.weight.shape[0]
        if samplers and any(samplers):
            self.draft = 0  # a draw's next tokens are not the prompt's: drafting would only waste passes
        self.own_scores = confidences
        self.scores: list[float] = []  # per row of the last run: mean log-probability of its tokens
        # per row: the same over the row's own tokens, so it does not depend on what else shares the batch (the
        # sliced head is the batch's union): the summary's confidence
        self.confidences: list[float] = []

    def run(self, input_ids: Any, attention: Any, max_new_tokens: int) -> list[list[int]]:
        """The generated token ids of every row (stop tokens left out)."""
        import torch

        rows = [_Row() for _ in range(input_ids.shape[0])]
        input_ids, attention, dev = input_ids.to(self.device), attention.to(self.device), self.device
        self.prompts = [[int(t) for t, m in zip(ids, mask, strict=True) if m] for ids, mask in
                        zip(input_ids.tolist(), attention.tolist(), strict=True)]
        lookup = [_continuations(p) for p in self.prompts] if self.draft else []
        positions = (attention.cumsum(-1) - 1).clamp(min=0)
        pads = (attention.shape[1] - attention.sum(-1))[:, None]  # slot = position + left padding (see gemma3.Body)
        with torch.autocast(input_ids.device.type, dtype=torch.bfloat16, enabled=self.bf16_prefill):
            hidden, past = self._prefill(input_ids, attention, positions)  # a bf16 cache joins fp32 steps' by cat
        # last_pos: the position of each row's last input kept; the prompt's last token counts as a block of one
        last_pos, self.passes, drafts = positions[:, -1] - 1, 1, [[] for _ in rows]
        while True:
            logits = (hidden.float() @ self.weight.float().T).cpu()  # one copy per step where it runs on a GPU
            steps = [self._verify(r, row, logits[r], drafts[r], max_new_tokens) for r, row in enumerate(rows)]
            if all(row.done for row in rows):
                break
            width = hidden.shape[1]
            if width > 1:  # rejected draft tokens stay in the cache, masked out
                for r, (_, kept) in enumerate(steps):
                    attention[r, attention.shape[1] - width + kept:] = 0
            last_pos = last_pos + torch.tensor([kept for _, kept in steps], device=dev)
            drafts = [lookup[r](row.ids, self.draft) if lookup and not row.done else [] for r, row in enumerate(rows)]
            n = 1 + max(map(len, drafts))
            block = torch.tensor([[t, *d, *[self.tok.pad_token_id] * (n - 1 - len(d))]
                                  for (t, _), d in zip(steps, drafts, strict=True)], dtype=torch.long, device=dev)
            attention = torch.cat([attention, torch.ones((len(rows), n), dtype=attention.dtype, device=dev)], dim=1)
            at = last_pos[:, None] + 1 + torch.arange(n, device=dev)[None, :]
            extra = {"slots": at + pads} if self.draft else {}
            out = self.body(input_ids=block, attention_mask=attention, position_ids=at, use_cache=True,
                            **{self.cache_kw: past}, **extra)
            past, hidden, self.passes = getattr(out, self.cache_kw), out.last_hidden_state, self.passes + 1
        self.scores = [row.logprob / max(row.scored, 1) for row in rows]
        self.confidences = [row.own / max(row.scored, 1) for row in rows] if self.own_scores else []
        return [row.ids for row in rows]

    def _prefill(self, input_ids: Any, attention: Any, positions: Any) -> tuple[Any, Any]:
        """The prompts' last hidden states and KV cache. Where each prompt comes ``k`` times in a row (a document's
        draws), each is run once and its cache repeated: the prompt pass is most of a short summary's cost."""
        cached = self.prompt_cache.batch(self.prompts, attention) if self.prompt_cache is not None else None
        if cached is not None:
            return cached
        k = _repeats(self.prompts)
        if k > 1:
            first = slice(None, None, k)
            hidden, past = self._prompt_pass(input_ids[first], attention[first], positions[first])
            self._keep(hidden, past, attention[first], self.prompts[::k])
            past = _repeat_cache(past, k)
            if past is not None:
                return hidden.repeat_interleave(k, dim=0), past
        hidden, past = self._prompt_pass(input_ids, attention, positions)
        self._keep(hidden, past, attention, self.prompts)
        return hidden, past

    def _keep(self, hidden: Any, past: Any, attention: Any, prompts: list[list[int]]) -> None:
        if self.prompt_cache is not None:
            self.prompt_cache.keep(hidden, past, attention, prompts)

    def _prompt_pass(self, input_ids: Any, attention: Any, positions: Any) -> tuple[Any, Any]:
        return prompt_pass(self.body, self.cache_kw, self.accord_body, input_ids, attention, positions)

    def _verify(self, r: int, row: _Row, logits: Any, draft: list[int], max_new_tokens: int) -> tuple[int, int]:
        """Choose tokens along one row's block while they agree with its draft (the outputs are those of choosing
        one token per step): the token to feed next and how many of the block's inputs to keep in the cache."""
        for j in range(logits.shape[0]):
            if row.done:
                return self.tok.pad_token_id, j + 1
            token = self._choose(r, row, logits[j])
            if len(row.ids) >= max_new_tokens:
                row.done = True
            if row.done or j >= len(draft) or token != draft[j]:
                return (self.tok.pad_token_id if row.done else token), j + 1
        return self.tok.pad_token_id, logits.shape[0]

    def _choose(self, r: int, row: _Row, logits: Any) -> int:
        """The best candidate the constraints accept; a stop token (the row ends) when there is none."""
        banned = self._banned(self.prompts[r] + row.ids if self.prompt_ngrams else row.ids)
        context, start = row.text[-80:], len(row.text) <= 80
        inside = self.words.in_checked_word(context)
        order = self._order(r, len(row.ids), logits)
        allowed_row = self.row_mask[r]
        norm = float(logits.detach().logsumexp(0))
        for k in order:
            token = self.allowed[k]
            if token in banned:
                continue
            piece = self.words.piece(token)  # a stop token reads as a line end: a name cannot end half-written
            if token in self.stops:
                if self.words.valid(r, context, piece, start) and not self._wrong_role(r, row.text, piece):
                    self._score(row, logits, k, norm, allowed_row if self.own_scores else None)
                    return self._finish(row, token)
                continue
            if not bool(allowed_row[k]) and not ((inside and _only_continues(piece)) or
                                                 _starts_checked_word(context, piece)):
                continue
            if self.words.valid(r, context, piece, start) and not self._repeats_word(row.text, piece) \
                    and not self._wrong_role(r, row.text, piece):
                self._score(row, logits, k, norm, allowed_row if self.own_scores else None)
                row.ids.append(token)
                row.text += piece
                return token
        completion = self.words.completion(r, context)
        if completion is not None:
            row.ids.append(completion)
            row.text += self.words.piece(completion)
            return completion
        if self.cut_dead_ends:
            self._cut(row)
        return self._finish(row, next(iter(self.stops)))

    def _order(self, r: int, step: int, logits: Any) -> Iterator[int]:
        """Slice positions in the order they are tried: by score (greedy), or by score plus Gumbel noise (a draw
        from the softmax at the sampler's temperature, the constraints still applied in that order)."""
        import torch

        sampler = self.samplers[r] if self.samplers else None
        if sampler is None:
            return _ranked(logits)
        gen = torch.Generator().manual_seed(sampler.seed * 1_000_003 + step)
        uniform = torch.rand(self.vocab, generator=gen)[self.index].clamp(1e-12, 1 - 1e-7)
        gumbel = -torch.log(-torch.log(uniform))
        return _ranked(logits / sampler.temperature + gumbel)

    @staticmethod
    def _score(row: _Row, logits: Any, k: int, norm: float, own: Any) -> None:
        """Add the chosen slice position ``k``'s log-probability over the batch's slice (``norm``: its
        log-sum-exp) and, where ``own`` is given, over the row's own positions with ``k``."""
        import torch

        row.logprob += float(logits[k]) - norm
        row.scored += 1
        if own is not None:
            mine = logits[own].logsumexp(0)
            row.own += float(logits[k] - (mine if bool(own[k]) else torch.logaddexp(mine, logits[k])))

    def _cut(self, row: _Row) -> None:
        """At a dead end, drop the unfinished list item: back to the last ", " in the later two thirds."""
        cut = row.text.rfind(", ")
        if cut < len(row.text) // 3:
            return
        total = 0
        for k, token in enumerate(row.ids):
            total += len(self.words.piece(token))
            if total > cut:
                row.ids, row.text = row.ids[:k], row.text[:total - len(self.words.piece(token))]
                return

    def _finish(self, row: _Row, token: int) -> int:
        row.done = True
        return token

    def _banned(self, ids: list[int]) -> set[int]:
        """Tokens that would repeat an n-gram of ``ids`` (``no_repeat_ngram_size``)."""
        n = self.no_repeat_ngram
        if not n or len(ids) < n - 1:
            return set()
        prefix = tuple(ids[len(ids) - n + 1:]) if n > 1 else ()
        return {ids[i + n - 1] for i in range(len(ids) - n + 1) if tuple(ids[i:i + n - 1]) == prefix}

    def _wrong_role(self, r: int, text: str, piece: str) -> bool:
        """Whether ``piece`` would finish a capitalised word that gives a person an office or country their source
        does not (:func:`accord.summarise.roles.role_errors`): more role errors with the run of capitalised words
        that ends ``text`` than without it. Checked at each word end, so "Omani Foreign Minister S" (Jaishankar,
        Indian) is refused before the name is written and the decoder can take another path (" Sayyid ...")."""
        if self.people is None or not piece or piece[0].isalnum():
            return False
        m = _TITLED_NAME.search(text)
        if m is None:
            return False
        src = self.people[r]
        return len(roles_against(text, src)) > len(roles_against(text[:m.start()], src))

    def _repeats_word(self, text: str, piece: str) -> bool:
        """Whether ``piece`` ends a lower-case content word the output already used (the start of a loop)."""
        if not self.no_repeat_words or _only_continues(piece):
            return False
        m = _LAST_WORD.search(text)
        return bool(m) and m.group(1) not in STOP and m.group(1) in _WORDS.findall(text[:m.start()])


RANKED_FIRST = 32  # candidates ranked by topk before the full sort (nearly every step takes one of the first few)


def parts(model: Any) -> tuple[Any, Any, str, bool]:
    """A causal LM's body, LM head, the keyword its body takes the KV cache by, and whether the body is accord's own
    Gemma 3 (:mod:`accord.summarise.gemma3`, which takes ``slots`` and ``last_only``)."""
    base = model.get_base_model() if hasattr(model, "get_base_model") else model
    params = inspect.signature(base.model.forward).parameters
    # transformers >= 5.2x names the KV cache `cache` (`past_key_values` is deprecated there); older: the old name
    cache_kw = "cache" if "cache" in params else "past_key_values"
    return base.model, base.get_output_embeddings(), cache_kw, "slots" in params


def prompt_pass(body: Any, cache_kw: str, accord_body: bool, input_ids: Any, attention: Any, positions: Any
                ) -> tuple[Any, Any]:
    """The prompts' last hidden states and KV cache, :data:`PREFILL_ROWS` prompts at a time on accord's Gemma 3
    (whose caches join): a pass over 25 long prompts at once allocates activations above 32 MB, which glibc maps
    fresh at every call, and its page faults cost about 30% of the pass (docs/decisions.md). Each chunk leaves out
    the padding columns all its rows share (the batch comes sorted by length) and the last layer runs for the last
    position only; neither changes a row's arithmetic."""
    import torch

    if not accord_body:
        out = body(input_ids=input_ids, attention_mask=attention, position_ids=positions, use_cache=True)
        return out.last_hidden_state[:, -1:], getattr(out, cache_kw)
    outs = []
    for a in range(0, input_ids.shape[0], PREFILL_ROWS):
        rows = slice(a, a + PREFILL_ROWS)
        lead = int((attention[rows].sum(0) == 0).sum())  # left padding every row of the chunk has
        outs.append(body(input_ids=input_ids[rows, lead:], attention_mask=attention[rows, lead:],
                         position_ids=positions[rows, lead:], use_cache=True, last_only=True))
    hidden = torch.cat([out.last_hidden_state[:, -1:] for out in outs])
    caches = [out.cache for out in outs]
    return hidden, type(caches[0]).join(caches, input_ids.shape[1])


def _ranked(scores: Any) -> Iterator[int]:
    """Positions by descending score, lazily: the top :data:`RANKED_FIRST` first, the full sort only when the checks
    refuse all of those (sorting every step's 11,000-odd scores was 5% of a long batch's time)."""
    k = min(RANKED_FIRST, scores.shape[0])
    top = scores.topk(k).indices.tolist()
    yield from top
    if k < scores.shape[0]:
        seen = set(top)
        yield from (i for i in scores.argsort(descending=True).tolist() if i not in seen)


def _repeats(prompts: list[list[int]]) -> int:
    """``k`` when the rows are each prompt ``k`` times in a row (``k`` > 1), else 1."""
    n = len(prompts)
    for k in range(2, n + 1):
        if n % k == 0 and all(prompts[i] == prompts[i - i % k] for i in range(n)):
            return k if all(prompts[i] != prompts[i + k] for i in range(0, n - k, k)) else 1
    return 1


def _repeat_cache(cache: Any, k: int) -> Any:
    """A KV cache with each row repeated ``k`` times, for a cache that can do it itself (accord's Gemma 3 cache,
    ``transformers``' caches); ``None`` for any other kind (the caller then runs every row)."""
    if hasattr(cache, "batch_repeat_interleave"):
        cache.batch_repeat_interleave(k)
        return cache
    return None
