"""The prompt cache: least recently used entries go, and kept passes are bf16 only where that loses nothing (the
draws that reuse them are tested in test_rerank)."""

from __future__ import annotations

from accord.summarise.prompts import PromptCache


def test_kept_prompt_passes_are_bf16_only_where_that_loses_nothing() -> None:
    import torch

    from accord.summarise.prompts import _compact

    exact = torch.tensor([0.5, 1.25, -3.0])  # bf16 numbers held in fp32
    assert _compact(exact).dtype == torch.bfloat16 and torch.equal(_compact(exact).float(), exact)
    fine = torch.tensor([0.1, 1.0 / 3.0])
    kept = _compact(fine)
    assert kept.dtype == torch.float32 and torch.equal(kept, fine) and kept.data_ptr() != fine.data_ptr()


def test_the_least_recently_used_prompt_goes_first() -> None:
    cache = PromptCache(2)
    cache.put([1], "a")
    cache.put([2], "b")
    assert cache.get([1]) == "a"  # now the most recent
    cache.put([3], "c")
    assert cache.get([2]) is None and cache.get([1]) == "a" and cache.get([3]) == "c"
    cache.clear()
    assert not cache.entries
