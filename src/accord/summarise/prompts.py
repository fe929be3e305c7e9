"""Prompt passes kept for reuse by the sliced decoder (accord's Gemma 3 only).

A brief's agreement check draws each summary again (``generation.agreement_draws``); on accord's Gemma 3 the
prompt's pass is about two thirds of decoding a long report, and the summary's decoding has just run it. So the
batch commands keep each document's pass (the last hidden state and every layer's keys and values, its real columns
only) and the draws start from it, the batch rebuilt left-padded as a fresh pass would leave it. Nothing here imports
torch at module level: the CLI's start-up stays lazy.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any


class PromptCache:
    """Recent prompts' passes, keyed by the prompt's token ids; the least recently used go past ``capacity``."""

    def __init__(self, capacity: int) -> None:
        self.capacity, self.entries = capacity, OrderedDict()

    def get(self, prompt: list[int]) -> Any:
        entry = self.entries.get(tuple(prompt))
        if entry is not None:
            self.entries.move_to_end(tuple(prompt))
        return entry

    def put(self, prompt: list[int], entry: Any) -> None:
        self.entries[tuple(prompt)] = entry
        self.entries.move_to_end(tuple(prompt))
        while len(self.entries) > self.capacity:
            self.entries.popitem(last=False)

    def clear(self) -> None:
        self.entries.clear()

    def keep(self, hidden: Any, past: Any, attention: Any, prompts: list[list[int]]) -> None:
        """Store each row's pass (``hidden``: last hidden states, ``past``: a ``kvcache.Cache`` just filled by the
        pass): its real columns only, copied out of the batch's buffers."""
        width = past.length
        for r, prompt in enumerate(prompts):
            n = int(attention[r].sum())
            layers = [tuple(_compact(buf[r, :, width - n:width]) for buf in layer) for layer in past.layers]
            self.put(prompt, (hidden[r].clone(), layers))

    def batch(self, prompts: list[list[int]], attention: Any) -> tuple[Any, Any] | None:
        """The batch's pass (last hidden states, a ``kvcache.Cache``) left-padded to the batch's width as a fresh pass
        would be (pad columns are masked out), or ``None`` unless every row's prompt is here."""
        import torch

        from accord.summarise.kvcache import Cache

        entries = [self.get(p) for p in prompts]
        if any(e is None for e in entries):
            return None
        cache = Cache.left_padded([layers for _, layers in entries], attention.shape[1])
        return torch.stack([hidden for hidden, _ in entries]), cache


def _compact(values: Any) -> Any:
    """A copy of ``values`` in bf16 where that loses nothing (the values under a bf16 prefill: bf16 numbers kept in
    fp32 buffers), else as they are (the rotated keys are fp32 arithmetic on them)."""
    import torch

    low = values.to(torch.bfloat16)
    return low if torch.equal(low.to(values.dtype), values) else values.clone()
