"""Tiny random models for tests and device checks: a Gemma-style BPE tokenizer, a Gemma 3 text model whose sliding
window binds, and a BERT encoder. Seeded and built in seconds from nothing on disk (no downloads), so the suite and
`evaluation/gpu_check.py` exercise the real model code on the same small weights."""

from __future__ import annotations

import string
from pathlib import Path
from typing import Any

GEMMA_SPECIALS = ["<pad>", "<eos>", "<bos>", "<unk>", "<mask>"]  # Gemma's order: pad 0, eos 1, bos 2
# A few merges, so the BPE has words of more than one piece ("the", "trade").
GEMMA_MERGES = [("▁", "t"), ("h", "e"), ("▁t", "he"), ("▁", "a"), ("r", "a"), ("d", "e"), ("ra", "de"),
                ("t", "rade")]
SEED = 0  # every builder seeds torch, so a session tests the same weights whatever ran before


def tiny_gemma_tokenizer(out: Path) -> Path:
    """A small Gemma-style BPE (byte fallback, '▁' spaces) saved by transformers into ``out``."""
    from transformers import GemmaTokenizer

    vocab = {t: i for i, t in enumerate(GEMMA_SPECIALS)}
    for b in range(256):
        vocab[f"<0x{b:02X}>"] = len(vocab)
    for ch in "▁" + string.ascii_letters + string.digits + ".,:-'()\n":
        vocab.setdefault(ch, len(vocab))
    for a, b in GEMMA_MERGES:
        vocab.setdefault(a + b, len(vocab))
    GemmaTokenizer(vocab=vocab, merges=GEMMA_MERGES).save_pretrained(out)
    return out


def tiny_gemma(out: Path, tokenizer_dir: Path) -> Any:
    """A random Gemma 3 (3 layers, window 4, so windows bite) for the tokenizer in ``tokenizer_dir``, saved with
    it into ``out``; returns the model. Norms start at zero in Gemma, so every weight gets noise to matter."""
    import torch
    from transformers import AutoTokenizer, Gemma3ForCausalLM, Gemma3TextConfig

    torch.manual_seed(SEED)
    tokenizer = AutoTokenizer.from_pretrained(tokenizer_dir)
    config = Gemma3TextConfig(vocab_size=len(tokenizer), hidden_size=32, intermediate_size=48, num_hidden_layers=3,
                              num_attention_heads=4, num_key_value_heads=2, head_dim=8, query_pre_attn_scalar=8,
                              sliding_window=4, layer_types=["sliding_attention", "full_attention",
                                                             "sliding_attention"], pad_token_id=0)
    model = Gemma3ForCausalLM(config)
    with torch.no_grad():
        for p in model.parameters():
            p.add_(torch.randn_like(p) * 0.05)
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    return model


def tiny_bert(out: Path, tokenizer: Any) -> Path:
    """A random 2-layer BERT encoder for ``tokenizer`` (any HF tokenizer), saved with it into ``out``."""
    import torch
    from transformers import BertConfig, BertModel

    config = BertConfig(vocab_size=tokenizer.vocab_size, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                        intermediate_size=64, max_position_embeddings=128)
    torch.manual_seed(SEED)
    BertModel(config).save_pretrained(out)
    tokenizer.save_pretrained(out)
    return out
