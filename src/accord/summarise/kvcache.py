"""The Gemma 3 decoder's KV cache and the attention that reads it (:mod:`accord.summarise.gemma3` decodes with them).

Kept apart from the model: the cache is where decoding spends its memory and most of its copying (buffers with spare
columns, joined and left-padded batches of prompts, an opt-in bf16 dtype), and attention is where its dtype meets the
queries'.
"""

from __future__ import annotations

import torch
from torch.nn import functional as F


def attend(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, mask: torch.Tensor, scale: float,
           low: bool = False) -> torch.Tensor:
    """Grouped-query attention of ``q`` (batch x heads x t x dim) over ``k``/``v`` (batch x kv heads x columns x
    dim) where ``mask`` (batch x 1 x t x columns) is true. ``low``: in bf16 GEMMs, each kv head's query heads stacked
    into one matrix; on 2 AVX512-BF16 cores this ran a prompt chunk's attention 3x faster than the flash kernel,
    which does not use the bf16 dot-product instructions (scores and weights rounded to bf16:
    ``generation.bf16_attention``, decided on real validation)."""
    (b, heads, t, d), kv = q.shape, k.shape[1]
    if not low and k.dtype != q.dtype and not torch.is_autocast_enabled(q.device.type):  # a step over a bf16 cache
        return attend(q.to(k.dtype), k, v, mask, scale).to(q.dtype)
    if not low:
        return F.scaled_dot_product_attention(q, k, v, attn_mask=mask, scale=scale, enable_gqa=heads != kv)
    low_q = (q * scale).to(torch.bfloat16).reshape(b, kv, heads // kv * t, d)
    scores = torch.matmul(low_q, k.to(torch.bfloat16).transpose(-1, -2)).view(b, kv, heads // kv, t, -1)
    bias = torch.zeros(mask.shape, dtype=torch.bfloat16).masked_fill_(~mask, float("-inf"))
    weights = torch.softmax(scores + bias[:, :, None], dim=-1).view(b, kv, heads // kv * t, -1)
    return torch.matmul(weights, v.to(torch.bfloat16)).view(b, heads, t, d)


CACHE_SPARE = 64  # cache columns reserved ahead: a step writes into them, and the cache grows once per 64 tokens


class Cache:
    """The KV cache: per layer a key and a value buffer with spare columns, filled up to ``length``.

    A decoded token's keys are written into the spare columns and attention reads a view of the filled part; the
    ``torch.cat`` of the cache with each new token copied the whole cache at every token and layer (for 32 long
    prompts, about 0.8 GB per step). ``slots``: each cached column's slot for the sliding windows (see
    :class:`accord.summarise.gemma3.Body`). A forward pass given a cache extends it in place and returns it.
    """

    def __init__(self, layers: int, slots: torch.Tensor, dtype: torch.dtype = torch.float32) -> None:
        self.layers: list[list[torch.Tensor]] = [[] for _ in range(layers)]
        self.slots, self.length, self.dtype = slots, 0, dtype

    def write(self, i: int, k: torch.Tensor, v: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Store layer ``i``'s new keys and values after the filled columns; the keys and values to attend to.
        The prompt's pass attends to its own tensors (as computed, bf16 under autocast); the buffers are of the
        cache's dtype (fp32 unless ``gemma3.set_bf16_cache``)."""
        start, t = self.length, k.shape[2]
        if not self.layers[i]:
            shape = (k.shape[0], k.shape[1], t + CACHE_SPARE, k.shape[3])
            self.layers[i] = [torch.empty(shape, dtype=self.dtype, device=k.device) for _ in (0, 1)]
        elif self.layers[i][0].shape[2] < start + t:
            self.layers[i] = [torch.cat([buf, buf.new_empty((*buf.shape[:2], t + CACHE_SPARE, buf.shape[3]))], dim=2)
                              for buf in self.layers[i]]
        kbuf, vbuf = self.layers[i]
        kbuf[:, :, start:start + t], vbuf[:, :, start:start + t] = k, v
        if start == 0:
            return k, v
        return kbuf[:, :, :start + t], vbuf[:, :, :start + t]

    @staticmethod
    def join(caches: list[Cache], width: int) -> Cache:
        """The caches of consecutive row chunks of one batch as one cache of ``width`` columns: a chunk passed
        without the padding columns all its rows share is right-aligned, its missing columns zero (masked out),
        its slots shifted as a pass over the whole width would number them; spare columns follow."""
        dev = caches[0].slots.device
        out = Cache(0, torch.cat([torch.cat([torch.arange(width - c.length, device=dev).expand(c.slots.shape[0], -1),
                                             c.slots + (width - c.length)], dim=1) for c in caches]), caches[0].dtype)
        out.length, rows = width, sum(c.slots.shape[0] for c in caches)
        for i in range(len(caches[0].layers)):
            kv, dim = caches[0].layers[i][0].shape[1], caches[0].layers[i][0].shape[3]
            bufs = [torch.zeros((rows, kv, width + CACHE_SPARE, dim), dtype=out.dtype, device=dev) for _ in (0, 1)]
            at = 0
            for c in caches:
                n = c.slots.shape[0]
                for buf, part in zip(bufs, c.layers[i], strict=True):
                    buf[at:at + n, :, width - c.length:width] = part[:, :, :c.length]
                at += n
            out.layers.append(bufs)
        return out

    @classmethod
    def left_padded(cls, rows: list[list[tuple[torch.Tensor, torch.Tensor]]], width: int) -> Cache:
        """A filled cache of ``width`` columns from each row's keys and values per layer (heads x columns x dim, the
        row's real columns only), right-aligned as a pass over the left-padded batch leaves them; the pad columns
        are zero (the attention mask hides them) and the buffers fp32, as :meth:`write` makes them."""
        dev = rows[0][0][0].device
        out = cls(len(rows[0]), torch.arange(width, device=dev).expand(len(rows), width))
        for i in range(len(out.layers)):
            kv, dim = rows[0][i][0].shape[0], rows[0][i][0].shape[2]
            out.layers[i] = [torch.zeros((len(rows), kv, width + CACHE_SPARE, dim), device=dev) for _ in range(2)]
            for r, layers in enumerate(rows):
                n = layers[i][0].shape[1]
                for buf, part in zip(out.layers[i], layers[i], strict=True):
                    buf[r, :, width - n:width] = part
        out.length = width
        return out

    def batch_repeat_interleave(self, k: int) -> None:
        """Each row ``k`` times in a row, in place (a document's draws share its prompt's pass)."""
        self.layers = [[buf[:, :, :self.length].repeat_interleave(k, dim=0) for buf in layer] for layer in self.layers]
        self.slots = self.slots.repeat_interleave(k, dim=0)

    def to(self, dtype: torch.dtype) -> Cache:
        """The buffers in ``dtype``, in place (a prompt cache's batch, made fp32, stepped over a bf16 cache)."""
        if dtype != self.dtype:
            self.layers = [[buf.to(dtype) for buf in layer] for layer in self.layers]
            self.dtype = dtype
        return self
