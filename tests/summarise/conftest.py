"""Tiny Gemma 3 pieces for the summariser's fast path: a Gemma-style tokenizer and a random Gemma 3 with an
adapter (no downloads)."""

from __future__ import annotations

import string
from pathlib import Path

import pytest
import torch


@pytest.fixture(scope="session")
def tiny_gemma_tokenizer(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small Gemma-style BPE (byte fallback, '▁' spaces) saved by transformers."""
    from transformers import GemmaTokenizer

    vocab = {t: i for i, t in enumerate(["<pad>", "<eos>", "<bos>", "<unk>", "<mask>"])}
    for b in range(256):
        vocab[f"<0x{b:02X}>"] = len(vocab)
    for ch in "▁" + string.ascii_letters + string.digits + ".,:-'()\n":
        vocab.setdefault(ch, len(vocab))
    merges = [("▁", "t"), ("h", "e"), ("▁t", "he"), ("▁", "a"), ("r", "a"), ("d", "e"), ("ra", "de"), ("t", "rade")]
    for a, b in merges:
        vocab.setdefault(a + b, len(vocab))
    out = tmp_path_factory.mktemp("tiny-gemma-tokenizer")
    GemmaTokenizer(vocab=vocab, merges=merges).save_pretrained(out)
    return out


@pytest.fixture(scope="session")
def tiny_gemma(tmp_path_factory: pytest.TempPathFactory, tiny_gemma_tokenizer: Path) -> tuple[Path, Path]:
    """A tiny random Gemma 3 text model with the tiny Gemma tokenizer (window 4, so windows bite) and a LoRA
    adapter with non-zero B."""
    from peft import LoraConfig, get_peft_model
    from transformers import AutoTokenizer, Gemma3ForCausalLM, Gemma3TextConfig

    torch.manual_seed(0)
    out = tmp_path_factory.mktemp("tiny-gemma3")
    tokenizer = AutoTokenizer.from_pretrained(tiny_gemma_tokenizer)
    config = Gemma3TextConfig(vocab_size=len(tokenizer), hidden_size=32, intermediate_size=48, num_hidden_layers=3,
                              num_attention_heads=4, num_key_value_heads=2, head_dim=8, query_pre_attn_scalar=8,
                              sliding_window=4, layer_types=["sliding_attention", "full_attention",
                                                             "sliding_attention"], pad_token_id=0)
    model = Gemma3ForCausalLM(config)
    with torch.no_grad():
        for p in model.parameters():
            p.add_(torch.randn_like(p) * 0.05)  # norms start at zero: make every weight matter
    model.save_pretrained(out / "base")
    tokenizer.save_pretrained(out / "base")
    lora = get_peft_model(model, LoraConfig(r=4, lora_alpha=8, target_modules=["q_proj", "v_proj", "o_proj"],
                                            task_type="CAUSAL_LM"))
    with torch.no_grad():
        for name, p in lora.named_parameters():
            if "lora_B" in name:
                p.copy_(torch.randn_like(p) * 0.1)
    lora.save_pretrained(out / "adapter")
    return out / "base", out / "adapter"


