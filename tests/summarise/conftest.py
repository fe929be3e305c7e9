"""Tiny Gemma 3 pieces for the summariser's fast path: a Gemma-style tokenizer and a random Gemma 3 with an
adapter (no downloads)."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from accord import testing


@pytest.fixture(scope="session")
def tiny_gemma_tokenizer(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small Gemma-style BPE (byte fallback, '▁' spaces) saved by transformers."""
    return testing.tiny_gemma_tokenizer(tmp_path_factory.mktemp("tiny-gemma-tokenizer"))


@pytest.fixture(scope="session")
def tiny_gemma(tmp_path_factory: pytest.TempPathFactory, tiny_gemma_tokenizer: Path) -> tuple[Path, Path]:
    """A tiny random Gemma 3 text model with the tiny Gemma tokenizer (window 4, so windows bite) and a LoRA
    adapter with non-zero B."""
    from peft import LoraConfig, get_peft_model

    out = tmp_path_factory.mktemp("tiny-gemma3")
    model = testing.tiny_gemma(out / "base", tiny_gemma_tokenizer)
    lora = get_peft_model(model, LoraConfig(r=4, lora_alpha=8, target_modules=["q_proj", "v_proj", "o_proj"],
                                            task_type="CAUSAL_LM"))
    with torch.no_grad():
        for name, p in lora.named_parameters():
            if "lora_B" in name:
                p.copy_(torch.randn_like(p) * 0.1)
    lora.save_pretrained(out / "adapter")
    return out / "base", out / "adapter"
