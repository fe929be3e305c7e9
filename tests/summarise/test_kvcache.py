"""The decoder's KV cache and attention on their own: bf16 grouped-query attention against the fp32 kernel, and
the prompt cache's left-padded batches (the model-level cache tests, against transformers, are in test_gemma3)."""

from __future__ import annotations

import pytest
import torch

from accord.summarise import kvcache


@pytest.mark.parametrize("kv_heads", [1, 2])
def test_bf16_attention_is_grouped_query_attention_in_bf16(kv_heads: int) -> None:
    """``attend(low=True)`` maps each query head to its kv head as the fp32 kernel does, within bf16's rounding;
    a fully masked-out column gets no weight."""
    torch.manual_seed(0)
    q, k, v = torch.randn(2, 4, 5, 8), torch.randn(2, kv_heads, 5, 8), torch.randn(2, kv_heads, 5, 8)
    mask = torch.ones(5, 5, dtype=torch.bool).tril()[None, None].repeat(2, 1, 1, 1)
    mask[0, :, :, 0] = False
    mask[0, :, 0, 0] = True  # the first query still sees itself
    want = torch.nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=mask, scale=0.3, enable_gqa=True)
    got = kvcache.attend(q, k, v, mask, 0.3, low=True)
    assert got.dtype == torch.bfloat16
    torch.testing.assert_close(got.float(), want, atol=0.05, rtol=0.05)
    v2 = v.clone()
    v2[0, :, 0] += 100.0  # column 0 is hidden from every query of row 0 but the first
    assert torch.equal(kvcache.attend(q, k, v2, mask, 0.3, low=True)[0, :, 1:], got[0, :, 1:])


def test_a_left_padded_cache_right_aligns_each_row_in_fp32() -> None:
    """``Cache.left_padded`` (the prompt cache's batches) puts each row's real columns at the right end of fp32
    buffers with the spare columns after them, pad columns zero; bf16 parts (kept values) widen exactly."""
    from accord.summarise.prompts import _compact

    gen = torch.Generator().manual_seed(0)
    rows = []
    for n in (5, 2, 7):  # real columns per row; 2 layers, 2 KV heads, head dim 4
        rows.append([(torch.randn((2, n, 4), generator=gen),  # keys: fp32 arithmetic
                      _compact(torch.randn((2, n, 4), generator=gen).bfloat16().float()))  # values: bf16 kept
                     for _ in range(2)])
    assert rows[0][0][1].dtype == torch.bfloat16
    width = 9
    cache = kvcache.Cache.left_padded(rows, width)
    assert cache.length == width and cache.slots.tolist() == [list(range(width))] * 3
    for i, layer in enumerate(cache.layers):
        for j, buf in enumerate(layer):
            assert buf.dtype == torch.float32 and buf.shape == (3, 2, width + kvcache.CACHE_SPARE, 4)
            for r, row in enumerate(rows):
                n = row[i][j].shape[1]
                assert torch.equal(buf[r, :, width - n:width], row[i][j].float())  # right-aligned, exact
                assert not buf[r, :, :width - n].any() and not buf[r, :, width:].any()  # pads and spares zero
