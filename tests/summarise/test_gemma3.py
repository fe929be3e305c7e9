"""The torch-only Gemma 3 decoder gives transformers' hidden states (prefill with left padding, cached steps,
sliding windows) and merges a LoRA adapter as peft does; anything it does not implement is refused (None)."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from accord.summarise import gemma3, kvcache


def _reference(base: Path, adapter: Path | None):
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(base, dtype=torch.float32)
    return (PeftModel.from_pretrained(model, adapter).merge_and_unload() if adapter else model).eval()


def _batch() -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    rows = [[5, 17, 33, 8, 91, 2, 44, 63, 12], [7, 70, 3, 19]]  # longer than the window; left padded
    width = max(map(len, rows))
    ids, mask = torch.zeros((2, width), dtype=torch.long), torch.zeros((2, width), dtype=torch.long)
    for i, r in enumerate(rows):
        ids[i, width - len(r):], mask[i, width - len(r):] = torch.tensor(r), 1
    return ids, mask, (mask.cumsum(-1) - 1).clamp(min=0)


@pytest.mark.parametrize("with_adapter", [False, True])
def test_hidden_states_match_transformers(tiny_gemma: tuple[Path, Path], with_adapter: bool) -> None:
    base, adapter = tiny_gemma
    ref, mine = _reference(base, adapter if with_adapter else None), gemma3.load(base, adapter if with_adapter
                                                                                   else None)
    assert mine is not None
    ids, mask, pos = _batch()
    with torch.no_grad():
        a = ref.model(input_ids=ids, attention_mask=mask, position_ids=pos, use_cache=True)
        b = mine.model(input_ids=ids, attention_mask=mask, position_ids=pos, use_cache=True)
        real = mask.bool()
        assert torch.allclose(a.last_hidden_state[real], b.last_hidden_state[real], atol=1e-5)
        past_a, past_b, last = a.cache, b.cache, pos[:, -1:]
        for token in ([[11], [12]], [[13], [14]], [[15], [16]]):  # cached steps past the window
            mask, last = torch.cat([mask, torch.ones((2, 1), dtype=mask.dtype)], dim=1), last + 1
            step = torch.tensor(token)
            a = ref.model(input_ids=step, attention_mask=mask, position_ids=last, use_cache=True, cache=past_a)
            b = mine.model(input_ids=step, attention_mask=mask, position_ids=last, use_cache=True, cache=past_b)
            past_a, past_b = a.cache, b.cache
            assert torch.allclose(a.last_hidden_state, b.last_hidden_state, atol=1e-5)
    head_a, head_b = ref.get_output_embeddings().weight, mine.get_output_embeddings().weight
    assert torch.equal(head_a, head_b)


def test_cached_steps_past_the_spare_columns_match_transformers(tiny_gemma: tuple[Path, Path]) -> None:
    """The cache writes each step into spare columns and grows once they are used up (70 steps here, past the 64
    spare ones): the hidden states stay transformers', and the buffers are reallocated once, not at every step."""
    base, adapter = tiny_gemma
    ref, mine = _reference(base, adapter), gemma3.load(base, adapter)
    ids, mask, pos = _batch()
    buffers = set()
    with torch.no_grad():
        a = ref.model(input_ids=ids, attention_mask=mask, position_ids=pos, use_cache=True)
        b = mine.model(input_ids=ids, attention_mask=mask, position_ids=pos, use_cache=True)
        past_a, past_b, last = a.cache, b.cache, pos[:, -1:]
        for step in range(kvcache.CACHE_SPARE + 6):
            mask, last = torch.cat([mask, torch.ones((2, 1), dtype=mask.dtype)], dim=1), last + 1
            token = torch.tensor([[10 + step % 50], [60 + step % 30]])
            a = ref.model(input_ids=token, attention_mask=mask, position_ids=last, use_cache=True, cache=past_a)
            b = mine.model(input_ids=token, attention_mask=mask, position_ids=last, use_cache=True, cache=past_b)
            past_a, past_b = a.cache, b.cache
            buffers.add(past_b.layers[0][0].data_ptr())
            assert torch.allclose(a.last_hidden_state, b.last_hidden_state, atol=1e-5), step
    assert len(buffers) == 2 and past_b.length == ids.shape[1] + kvcache.CACHE_SPARE + 6


def test_other_models_and_adapters_are_refused(tiny_gemma: tuple[Path, Path], tiny_causal_lm: Path,
                                               tmp_path: Path) -> None:
    import json
    import shutil

    base, adapter = tiny_gemma
    assert gemma3.load(tiny_causal_lm) is None  # a Llama: not implemented here, transformers loads it
    odd = tmp_path / "adapter"
    shutil.copytree(adapter, odd)
    cfg = json.loads((odd / "adapter_config.json").read_text())
    (odd / "adapter_config.json").write_text(json.dumps(cfg | {"use_dora": True}))
    assert gemma3.load(base, odd) is None
    assert gemma3.load(tmp_path / "missing") is None


def test_a_saved_summariser_loads_fast_and_writes_what_transformers_writes(tiny_gemma: tuple[Path, Path],
                                                                           tmp_path: Path) -> None:
    from accord.summarise.decoding import common_vocabulary
    from accord.summarise.model import NeuralSummariser, load_summariser
    from tests.summarise.test_train import _tiny

    base, _ = tiny_gemma
    summ = NeuralSummariser(_tiny(base, "causal", tmp_path, max_new_tokens=12)).build()
    with torch.no_grad():
        for name, p in summ.model.named_parameters():
            if "lora_B" in name:
                p.copy_(torch.randn_like(p) * 0.1)
    summ.common_ids = common_vocabulary(summ.tokenizer, ["the trade talks", "they agreed on trade"])
    saved = summ.save(tmp_path / "saved")
    fast, slow = load_summariser(saved), load_summariser(saved, fast=False)
    assert type(fast.model).__name__ == "Gemma3LM" and type(slow.model).__name__ == "Gemma3ForCausalLM"
    docs = ["The Hanoi trade talks ended.", "Seoul and Hanoi agreed on trade and the 2030 target of 25 billion."]
    written = fast.summarise(docs)
    assert written == slow.summarise(docs) and all(len(w) > 3 for w in written), written
    fast.g.sliced_head = slow.g.sliced_head = False  # decoding through generate(): needs transformers' model
    assert fast.summarise(docs) == slow.summarise(docs)
    assert type(fast.model).__name__ == "Gemma3ForCausalLM"


def test_read_safetensors_matches_safetensors_in_fp32(tmp_path: Path) -> None:
    from safetensors.torch import load_file, save_file

    tensors = {"a": torch.randn(3, 5), "b": torch.randn(7).to(torch.bfloat16), "c": torch.randn(2, 2).half()}
    save_file(tensors, tmp_path / "w.safetensors", metadata={"format": "pt"})
    got = gemma3.read_safetensors(tmp_path / "w.safetensors")
    assert got is not None and set(got) == set(tensors)
    for name, t in load_file(tmp_path / "w.safetensors").items():
        assert got[name].dtype == torch.float32 and torch.equal(got[name], t.float())
    save_file({"i": torch.arange(4)}, tmp_path / "ints.safetensors")
    assert gemma3.read_safetensors(tmp_path / "ints.safetensors") is None  # other dtypes: transformers loads it


def test_int8_weights_keep_the_hidden_states_close(tiny_gemma: tuple[Path, Path]) -> None:
    """Every attention and MLP projection but the down projection becomes int8 (the embedding and tied head stay
    fp32); the hidden states stay close to fp32, and quantising twice changes nothing."""
    base, adapter = tiny_gemma
    ref, mine = gemma3.load(base, adapter), gemma3.load(base, adapter)
    head = mine.get_output_embeddings().weight.clone()
    assert gemma3.quantize_int8(mine) == 6 * len(ref.config.layer_types)
    assert all(type(layer.mlp.down_proj).__name__ == "Linear" for layer in mine.model.layers)
    assert gemma3.quantize_int8(mine) == 0
    assert torch.equal(mine.get_output_embeddings().weight, head)
    ids, mask, pos = _batch()
    with torch.no_grad():
        a = ref.model(input_ids=ids, attention_mask=mask, position_ids=pos, use_cache=True).last_hidden_state
        b = mine.model(input_ids=ids, attention_mask=mask, position_ids=pos, use_cache=True).last_hidden_state
    real = mask.bool()
    error = (a[real] - b[real]).norm() / a[real].norm()
    assert 0 < error < 0.15, error  # tiny random weights: the real model's cost is measured in docs/summariser.md


def test_drafted_decoding_writes_what_one_token_per_pass_writes(tiny_gemma: tuple[Path, Path],
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """Prompt-lookup drafts are checked token by token, and rejected ones stay masked in the cache with windows
    counted without them (window 4 here, so a wrong count would change the outputs)."""
    from accord.summarise import generate
    from accord.summarise.decoding import common_vocabulary
    from accord.summarise.model import NeuralSummariser
    from tests.summarise.test_train import _tiny

    base, adapter = tiny_gemma
    summ = NeuralSummariser(_tiny(base, "causal", base.parent, max_new_tokens=16)).build(lora=False)
    summ.model = gemma3.load(base, adapter)
    summ.common_ids = common_vocabulary(summ.tokenizer, ["the trade talks", "they agreed on trade"])
    docs = ["The Hanoi trade talks ended with a deal on trade and rice.",
            "Seoul and Hanoi agreed on trade, rice and the 2030 target of 25 billion in trade talks.",
            "Talks."]
    passes: list[int] = []
    run = generate.SlicedGreedy.run

    def counted(self: generate.SlicedGreedy, *args: object) -> list[list[int]]:
        out = run(self, *args)
        passes.append(self.passes)
        return out
    monkeypatch.setattr(generate.SlicedGreedy, "run", counted)
    summ.g.generate_batch_size = 3
    one = summ.summarise(docs)
    summ.g.draft_tokens = 4
    assert summ.summarise(docs) == one
    assert passes[1] < passes[0], passes  # some drafts held


def test_bf16_copies_serve_autocast_only(tiny_gemma: tuple[Path, Path]) -> None:
    """Each attention and MLP projection gets a bf16 copy (the embedding and tied head do not); under bf16 autocast
    the projections read it (bf16 outputs, hidden states close to fp32), outside it they are fp32 as before."""
    base, adapter = tiny_gemma
    ref, mine = gemma3.load(base, adapter), gemma3.load(base, adapter)
    assert gemma3.add_bf16_copies(mine) == 7 * len(ref.config.layer_types)
    assert gemma3.add_bf16_copies(mine) == 0
    assert set(mine.state_dict()) == set(ref.state_dict())  # the copies are not weights of the model
    ids, mask, pos = _batch()
    proj = mine.model.layers[0].self_attn.q_proj
    x = torch.randn(2, proj.weight.shape[1])
    with torch.no_grad():
        assert proj(x).dtype == torch.float32 and torch.equal(proj(x), ref.model.layers[0].self_attn.q_proj(x))
        a = ref.model(input_ids=ids, attention_mask=mask, position_ids=pos).last_hidden_state
        with torch.autocast("cpu", dtype=torch.bfloat16):
            assert proj(x).dtype == torch.bfloat16
            b = mine.model(input_ids=ids, attention_mask=mask, position_ids=pos).last_hidden_state
    real = mask.bool()
    error = (a[real] - b[real].float()).norm() / a[real].norm()
    assert 0 < error < 0.05, error


def test_bf16_prefill_decodes_and_is_off_without_native_bf16(tiny_gemma: tuple[Path, Path],
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """``generation.bf16_prefill`` runs the prompts' pass under autocast and the steps in fp32 (a bf16 cache joins
    them); on a CPU without native bf16 it changes nothing and makes no copies."""
    from accord.summarise.decoding import common_vocabulary
    from accord.summarise.model import NeuralSummariser
    from tests.summarise.test_train import _tiny

    base, adapter = tiny_gemma
    docs = ["The Hanoi trade talks ended with a deal on trade and rice.", "Seoul and Hanoi agreed on trade."]

    def summaries(native: bool, on: bool = True, attention: bool = False) -> tuple[list[str], bool]:
        monkeypatch.setattr("accord.system.bf16_native", lambda device=None: native)
        cfg = _tiny(base, "causal", base.parent, max_new_tokens=12, bf16_prefill=on, bf16_attention=attention)
        summ = NeuralSummariser(cfg).build(lora=False)
        summ.model = gemma3.load(base, adapter)
        summ.common_ids = common_vocabulary(summ.tokenizer, ["the trade talks", "they agreed on trade"])
        out = summ.summarise(docs)
        assert summ.model.model.layers[0].bf16_attention == (native and attention)
        return out, summ.model.model.layers[0].mlp.up_proj.low is not None

    plain, copied = summaries(False)
    assert not copied and plain == summaries(True, on=False)[0] == summaries(False, attention=True)[0]
    fast, copied = summaries(True)
    assert copied and len(fast) == 2 and all(isinstance(s, str) for s in fast)
    low, _ = summaries(True, attention=True)
    assert len(low) == 2 and all(isinstance(s, str) for s in low)


def test_bf16_steps_read_the_copies_outside_autocast_in_fp32(tiny_gemma: tuple[Path, Path]) -> None:
    """With ``set_bf16_steps`` a projection outside autocast reads its bf16 copy (fp32 in and out, close to fp32);
    set off again, it is fp32 to the bit; a model without copies has nothing to set."""
    base, adapter = tiny_gemma
    mine = gemma3.load(base, adapter)
    assert gemma3.set_bf16_steps(mine, True) == 0  # no copies yet
    gemma3.add_bf16_copies(mine)
    proj = mine.model.layers[0].mlp.up_proj
    x = torch.randn(3, 1, proj.weight.shape[1])
    with torch.no_grad():
        exact = proj(x)
        assert gemma3.set_bf16_steps(mine, True) == 7 * len(mine.config.layer_types)
        fast = proj(x)
        assert fast.dtype == torch.float32 and not torch.equal(fast, exact)
        assert (fast - exact).norm() / exact.norm() < 0.02
        assert torch.equal(fast, torch.nn.functional.linear(x.bfloat16(), proj.low).float())
        gemma3.set_bf16_steps(mine, False)
        assert torch.equal(proj(x), exact)


def test_the_prompts_pass_in_row_chunks_writes_what_one_pass_writes(tiny_gemma: tuple[Path, Path],
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """Prompts run ``PREFILL_ROWS`` at a time and their caches joined (``Cache.join``) give the same summaries as
    one pass over the batch, with and without a document's draws sharing its prompt's pass."""
    from accord.summarise import generate
    from accord.summarise.decoding import common_vocabulary
    from accord.summarise.model import NeuralSummariser
    from tests.summarise.test_train import _tiny

    base, adapter = tiny_gemma
    summ = NeuralSummariser(_tiny(base, "causal", base.parent, max_new_tokens=12)).build(lora=False)
    summ.model = gemma3.load(base, adapter)
    summ.common_ids = common_vocabulary(summ.tokenizer, ["the trade talks", "they agreed on trade"])
    docs = ["The Hanoi trade talks ended with a deal on trade and rice.", "Seoul and Hanoi agreed on trade.",
            "Talks on rice.", "Seoul and Hanoi held trade talks on rice and trade."]
    summ.g.generate_batch_size = 4
    whole = summ.summarise(docs), summ.draws(docs, 2)
    monkeypatch.setattr(generate, "PREFILL_ROWS", 1)
    assert (summ.summarise(docs), summ.draws(docs, 2)) == whole
    a, b = kvcache.Cache(1, torch.tensor([[0]])), kvcache.Cache(1, torch.tensor([[0, 1]]))
    for c, value, n in ((a, 1.0, 1), (b, 2.0, 2)):  # a chunk passed without a padding column, one with none
        c.write(0, torch.full((1, 1, n, 2), value), torch.zeros(1, 1, n, 2))
        c.length = n
    joined = kvcache.Cache.join([a, b], 2)
    assert joined.layers[0][0][:, :, :2].flatten().tolist() == [0.0, 0.0, 1.0, 1.0, 2.0, 2.0, 2.0, 2.0]
    assert joined.length == 2 and joined.layers[0][0].shape[2] == 2 + kvcache.CACHE_SPARE
    assert joined.slots.tolist() == [[0, 1], [0, 1]]


def test_a_pass_for_the_last_position_fills_the_same_cache(tiny_gemma: tuple[Path, Path]) -> None:
    """``last_only`` (the prompt pass) gives the last position's hidden state and the whole cache as a full pass."""
    base, adapter = tiny_gemma
    mine = gemma3.load(base, adapter)
    ids, mask, pos = _batch()
    with torch.no_grad():
        full = mine.model(input_ids=ids, attention_mask=mask, position_ids=pos)
        last = mine.model(input_ids=ids, attention_mask=mask, position_ids=pos, last_only=True)
    assert last.last_hidden_state.shape[1] == 1
    torch.testing.assert_close(last.last_hidden_state, full.last_hidden_state[:, -1:])
    for mine_layer, full_layer in zip(last.cache.layers, full.cache.layers, strict=True):
        for got, want in zip(mine_layer, full_layer, strict=True):
            torch.testing.assert_close(got[:, :, :ids.shape[1]], want[:, :, :ids.shape[1]])


def test_a_bf16_cache_keeps_the_steps_close_to_fp32(tiny_gemma: tuple[Path, Path]) -> None:
    """``set_bf16_cache`` stores the keys and values in bf16 (also a cache made fp32 elsewhere, once a step reads it)
    and the steps stay close to the fp32 cache's hidden states, in fp32; set off again, the steps are fp32 to the
    bit; a model without accord's body has nothing to set."""
    base, adapter = tiny_gemma
    mine = gemma3.load(base, adapter)
    assert gemma3.set_bf16_cache(torch.nn.Linear(2, 2), True) == 0

    def steps(low: bool) -> tuple[list[torch.Tensor], kvcache.Cache]:
        assert gemma3.set_bf16_cache(mine, low) == 1
        ids, mask, pos = _batch()
        with torch.no_grad():
            past = mine.model(input_ids=ids, attention_mask=mask, position_ids=pos).cache
            out, last = [], pos[:, -1:]
            for token in ([[11], [12]], [[13], [14]], [[15], [16]]):  # past the window
                mask, last = torch.cat([mask, torch.ones((2, 1), dtype=mask.dtype)], dim=1), last + 1
                step = mine.model(input_ids=torch.tensor(token), attention_mask=mask, position_ids=last, cache=past)
                out.append(step.last_hidden_state)
                past = step.cache
        return out, past

    exact, fp32_cache = steps(False)
    low, bf16_cache = steps(True)
    assert fp32_cache.layers[0][0].dtype == torch.float32 and bf16_cache.layers[0][0].dtype == torch.bfloat16
    for want, got in zip(exact, low, strict=True):
        assert got.dtype == torch.float32 and not torch.equal(got, want)
        assert (got - want).norm() / want.norm() < 0.02
    assert all(torch.equal(a, b) for a, b in zip(steps(False)[0], exact, strict=True))
    made = kvcache.Cache(1, torch.tensor([[0]]))
    made.write(0, torch.ones(1, 1, 1, 2), torch.ones(1, 1, 1, 2))
    assert made.to(torch.bfloat16).layers[0][1].dtype == torch.bfloat16 == made.dtype


def test_the_bf16_cache_setting_decodes_and_is_off_without_native_bf16(tiny_gemma: tuple[Path, Path],
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """``generation.bf16_cache`` reaches the body where the CPU computes bf16 natively, through the prompt cache's
    draws too; without native bf16 the summaries are the fp32 cache's."""
    from accord.summarise.decoding import common_vocabulary
    from accord.summarise.model import NeuralSummariser
    from tests.summarise.test_train import _tiny

    base, adapter = tiny_gemma
    docs = ["The Hanoi trade talks ended with a deal on trade and rice.", "Seoul and Hanoi agreed on trade."]

    def decode(native: bool, on: bool) -> tuple[list[str], list[list[str]], torch.dtype]:
        monkeypatch.setattr("accord.system.bf16_native", lambda device=None: native)
        summ = NeuralSummariser(_tiny(base, "causal", base.parent, max_new_tokens=12, bf16_cache=on)).build(lora=False)
        summ.model = gemma3.load(base, adapter)
        summ.common_ids = common_vocabulary(summ.tokenizer, ["the trade talks", "they agreed on trade"])
        return summ.summarise(docs), summ.draws(docs, 2), summ.model.model.cache_dtype

    plain = decode(False, False)
    assert decode(False, True) == plain and plain[2] == torch.float32
    summaries, draws, dtype = decode(True, True)
    assert dtype == torch.bfloat16 and len(summaries) == 2 and len(draws) == 2
    assert all(isinstance(s, str) for s in summaries + [d for row in draws for d in row])
