"""Decoding helpers of the summariser: copy constraints (logits processors) and the one-sentence output clean-up.

- :class:`CopyConstraint` (token level): only tokens of the source plus a common-word vocabulary may be emitted.
- :class:`WordConstraint` (word level): every capitalised word and number must be a whole source word, with
  ``names`` adjacent capitalised words must be adjacent in the source too, and with ``titles`` a capitalised word
  that ends a title chain of three words must continue them as the source does.
- :func:`first_sentence`: the first sentence of generated text, cut at a clause boundary when too long.
- :func:`tidy`: mends hyphenation the tokeniser broke ("UAE- Romania") where the source writes it whole, and ends a
  list before its first item that only recycles an earlier word (the loops of issue 12).
"""

from __future__ import annotations

import bisect
import math
import re
from collections.abc import Collection
from typing import Any, NamedTuple

from accord.summarise.chains import RUN, chain_before, successors, trigrams
from accord.summarise.metrics import invents_topic, unsupported_claim, unsupported_topics
from accord.text import NAME_JOINERS, split_sentences


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


_BROKEN_HYPHEN = re.compile(r"(\w+)- (\w+)")
_LIST_WORD = re.compile(r"[^\W\d_][\w-]*")
# Words a list may repeat without looping (function words and the diplomatic glue of every summary).
LIST_GLUE = {"with", "from", "that", "this", "their", "they", "have", "been", "will", "also", "both", "sides", "side",
             "cooperation", "discussing", "countries", "bilateral", "relations", "ties", "between", "other", "fields"}


def _mend_hyphens(summary: str, source: str) -> str:
    def join(m: re.Match[str]) -> str:
        whole = f"{m.group(1)}-{m.group(2)}"
        return whole if whole in source else m.group()
    return _BROKEN_HYPHEN.sub(join, summary)


def _recycles(item: str, seen: dict[str, int]) -> bool:
    """Whether a list item repeats an earlier lower-case content word, or takes any word to a fourth use."""
    words = [w for w in _LIST_WORD.findall(item) if len(w) >= 4 and w.lower() not in LIST_GLUE]
    return any((w.islower() and seen.get(w.lower(), 0) >= 1) or seen.get(w.lower(), 0) >= 3 for w in words)


def _end_list(summary: str) -> str:
    """Cut the sentence before the first comma-separated item that recycles a word of the text before it."""
    body = summary.rstrip(".")
    parts = body.split(", ")
    seen: dict[str, int] = {}
    kept = []
    for k, part in enumerate(parts):
        item = re.sub(r"^(and|or|as well as) ", "", part)
        if k >= 2 and (_recycles(item, seen) or item.lower() in {p.lower() for p in kept}):
            return ", ".join(kept).rstrip(",;: ") + "."
        kept.append(part)
        for w in _LIST_WORD.findall(part):
            if len(w) >= 4 and w.lower() not in LIST_GLUE:
                seen[w.lower()] = seen.get(w.lower(), 0) + 1
    return summary


def tidy(summary: str, source: str) -> str:
    """A decoded summary without the two artefacts that decoding rules cannot prevent one token at a time."""
    return _end_list(_mend_hyphens(summary, source)) if summary else summary


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


_ATTACH = "'’-"


class _Tail(NamedTuple):
    """A context's word runs as :meth:`WordConstraint.valid` needs them: where the runs a new piece can touch begin
    (``pos``: the start of a last run the piece may extend, else the context's end), how many runs come before
    that, the last of those (``previous``, whether it is ``checked``, where it ``end``s), and whether the context
    ends inside a checked word (``inside``)."""

    pos: int
    runs: int
    previous: re.Match[str] | None
    checked: bool
    end: int
    inside: bool


def _only_continues(piece: str) -> bool:
    """Whether a token's text is nothing but more letters or digits of the current word."""
    return RUN.fullmatch(piece) is not None


def _begins(ordered: list[str], prefix: str) -> bool:
    """Whether a word of the sorted list ``ordered`` begins with ``prefix``."""
    i = bisect.bisect_left(ordered, prefix)
    return i < len(ordered) and ordered[i].startswith(prefix)


def _among(following: Collection[str], word: str, growing: bool) -> bool:
    """Whether lower-cased ``word`` is one of the source's ``following`` words (while it grows: begins one): the
    test of the name, title-chain and span checks alike."""
    return any(f.startswith(word) for f in following) if growing else word in following


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

    With ``titles``, pairs the source has cannot be chained into an office it never gives that person either ("Home
    Affairs minister V Shivakumar" from "Home Affairs Minister Saifuddin" and "Resources Minister V Shivakumar"): a
    capitalised word after two words of a title chain (``chains.chain_before``) must follow those two in the source.
    It acts while the word grows, so the decoder can still take the source's own name.

    With ``spans`` (evaluation only, off by default), every two words one space apart must be so in the source:
    the summary is source phrases joined at punctuation.
    """

    def __init__(self, tokenizer: Any, sources: list[str], prompt_width: int, keep: int = 4,
                 piece_cache: dict[int, str] | None = None, copy: CopyConstraint | None = None,
                 names: bool = False, topics: bool = False, lexicon: list[str] | None = None,
                 claims: bool = False, titles: bool = False, spans: bool = False) -> None:
        self.tok, self.prompt_width, self.keep, self.copy = tokenizer, prompt_width, keep, copy
        # with ``claims``: claim words (metrics.CLAIM_FAMILIES) only as the source uses them, and a word glued on by an
        # apostrophe ("Kuwait'ties") only as the source writes it (a possessive "'s" always)
        self.sources = sources if claims else None
        self.lexicon = lexicon  # the tokenizer's whole-word tokens, sorted (copy_lexicon), or None
        # with ``topics``: per source, the cooperation topics it never mentions (no word may start naming one)
        self.unsupported = [unsupported_topics(src) for src in sources] if topics else None
        runs = [RUN.findall(src) for src in sources]
        # with ``names`` or ``spans``: lower-cased word -> the words that follow it after one space, per source
        self.successors = [successors(src) for src in sources] if names or spans else None
        self.names, self.spans = names, spans  # ``spans``: every two words one space apart as in the source
        # with ``titles``: (word, word) -> the words that follow that pair in a chain of the source, lower-cased
        self.chains = [trigrams(src) for src in sources] if titles else None
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
        self._last_tail: tuple[str, _Tail] | None = None

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
    def _runs(text: str, pos: int = 0, checked_prev: bool = False, prev_end: int = -2) -> Any:
        """``(match, checked)`` for each word run of ``text`` from ``pos`` (a run boundary; ``checked_prev`` and
        ``prev_end`` describe the run before it)."""
        for m in RUN.finditer(text, pos):
            w = m.group()
            attached = m.start() == prev_end + 1 and text[m.start() - 1] in _ATTACH
            checked = w[0].isupper() or w[0].isdigit() or (attached and checked_prev)
            yield m, checked
            checked_prev, prev_end = checked, m.end()

    def _tail(self, context: str) -> _Tail:
        """Where the runs that a piece appended to ``context`` can touch begin, and the run before them. Every
        candidate of a step shares its context, so the context is scanned once a step, not once a candidate."""
        if self._last_tail is not None and self._last_tail[0] == context:
            return self._last_tail[1]
        runs = list(self._runs(context))
        cut = len(runs) - 1 if runs and runs[-1][0].end() == len(context) else len(runs)
        before = runs[cut - 1] if cut else None
        tail = _Tail(runs[cut][0].start() if cut < len(runs) else len(context), cut,
                     before[0] if before else None, bool(before and before[1]), before[0].end() if before else -2,
                     bool(runs) and runs[-1][1] and runs[-1][0].end() == len(context))
        self._last_tail = (context, tail)
        return tail

    def in_checked_word(self, context: str) -> bool:
        """Whether ``context`` ends inside a checked word (one the next token may continue)."""
        return self._tail(context).inside

    def valid(self, row: int, context: str, piece: str, start: bool = False) -> bool:
        """Whether ``context + piece`` keeps every checked word a source word (or a prefix of one, at the end);
        ``start``: ``context`` is the whole output so far (its first word may be capitalised)."""
        text = context + piece
        if self.sources is not None and piece[:1] == "\n" and context.endswith(("'", "’")):
            return False  # copy_claims: never end on a bare apostrophe ("discussing Kuwait'")
        tail = self._tail(context)  # only words touching the new piece are checked
        prev = tail.previous
        for k, (m, checked) in enumerate(self._runs(text, tail.pos, tail.checked, tail.end), start=tail.runs):
            previous, prev = prev, m
            if m.end() < len(context):  # a run the piece does not touch (only from a tail at the text's start)
                continue
            if self.spans and previous is not None and not self._in_span(row, text, previous, m, start):
                return False
            if self.sources is not None and not self._claim_ok(row, text, previous, m):
                return False
            if not checked:
                if self.unsupported is not None and invents_topic(m.group(), self.unsupported[row]):
                    return False  # a topic the source never mentions, even half-written
                if self.lexicon is not None and not self._known(row, text, m):
                    return False
                continue
            if "\ufffd" in piece and m.end() == len(context):
                return False  # raw bytes cannot be checked: never inside a name or number
            first = start and k == 0
            words, ordered = (self.first_words, self.first_sorted) if first else (self.words, self.sorted)
            w = m.group()
            growing = m.end() == len(text)
            if growing:  # still growing: must be a prefix of a source word
                if not _begins(ordered[row], w):
                    return False
            elif w not in words[row]:
                return False
            if self.names and previous is not None and not self._follows(
                    row, text, previous, m, growing):
                return False
            if self.chains is not None and w[0].isupper() and not self._continues_chain(row, text, m, growing,
                                                                                     start):
                return False
        return True

    def _continues_chain(self, row: int, text: str, m: re.Match[str], growing: bool, start: bool) -> bool:
        """``generation.copy_titles``: whether capitalised word ``m`` may end the title chain written before it."""
        pair = chain_before(text, m, start)
        if pair is None:
            return True
        return _among(self.chains[row].get(pair, ()), m.group().lower(), growing)

    def _claim_ok(self, row: int, text: str, previous: re.Match[str] | None, m: re.Match[str]) -> bool:
        """``generation.copy_claims``: a finished claim word the source uses, and an apostrophe-glued run that is
        a possessive or (while it grows: begins) text the source writes."""
        w = m.group()
        if m.end() < len(text) and unsupported_claim(w.lower(), self.words[row]):
            return False
        if previous is None or m.start() != previous.end() + 1 or text[previous.end()] not in "'’":
            return True
        if w == "s" and m.end() < len(text):
            return True
        return text[previous.start():m.end()] in self.sources[row] or (m.end() == len(text) and "s".startswith(w))

    def _known(self, row: int, text: str, m: re.Match[str]) -> bool:
        """Whether a lower-case word is (while it grows: begins) a source word or a whole-word token (one with
        digits: a source word); a run attached by an apostrophe or hyphen ("people's", "-based") is not checked."""
        w = m.group()
        if m.start() > 0 and text[m.start() - 1] in _ATTACH:
            return True
        lexicon = self.lexicon if w.isalpha() else []  # "labourer2024": only as a source word
        if m.end() < len(text):  # ended: a whole word
            i = bisect.bisect_left(lexicon, w)
            return w in self.words[row] or (i < len(lexicon) and lexicon[i] == w)
        return _begins(self.sorted[row], w) or _begins(lexicon, w)

    def _in_span(self, row: int, text: str, previous: re.Match[str], m: re.Match[str], start: bool) -> bool:
        """``generation.copy_spans``: whether word ``m`` (while it grows: a prefix of it) may follow ``previous``:
        always after punctuation (or a word the cut context may have cut), else only as a word the source writes
        one space after ``previous``."""
        if text[previous.end():m.start()] != " " or (previous.start() == 0 and not start):
            return True
        return _among(self.successors[row].get(previous.group().lower(), ()), m.group().lower(),
                      m.end() == len(text))

    def _follows(self, row: int, text: str, previous: re.Match[str], m: re.Match[str], growing: bool) -> bool:
        """Whether name word ``m`` may follow ``previous`` (always, unless both are capitalised words one space
        apart and the first is not a joiner; then only as it does in the source)."""
        before, w = previous.group(), m.group()
        if not (before[0].isupper() and w[0].isupper()) or text[previous.end():m.start()] != " " \
                or before.lower() in NAME_JOINERS:
            return True
        return _among(self.successors[row].get(before.lower(), ()), w.lower(), growing)

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
                    candidates = torch.topk(scores[r], min(256, scores.shape[1])).indices
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
        prefix = RUN.findall(context)[-1]
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
