"""The summariser model: configs, families and saved-model compatibility."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from accord.config import ConfigError
from accord.summarise.model import DECODER_ENV, NeuralSummariser, load_summariser
from accord.system import bf16_native
from tests.summarise.test_train import _tiny


def test_unknown_family() -> None:
    with pytest.raises(ConfigError, match="family: must be one of"):
        _tiny(Path("x"), "rnn", Path("y"))


@pytest.mark.parametrize("field", ["copy_words", "copy_names"])
def test_models_saved_before_a_constraint_keep_their_decoding(tiny_causal_lm: Path, tmp_path: Path,
                                                              field: str) -> None:
    summ = NeuralSummariser(_tiny(tiny_causal_lm, "causal", tmp_path)).build()
    saved = summ.save(tmp_path / "saved")
    meta = json.loads((saved / "accord_summariser.json").read_text())
    assert getattr(load_summariser(saved).config.generation, field) is True
    del meta["config"]["generation"][field]
    (saved / "accord_summariser.json").write_text(json.dumps(meta))
    assert getattr(load_summariser(saved).config.generation, field) is False


def test_a_benchmark_can_load_a_model_with_another_decoder(tiny_causal_lm: Path, tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    saved = NeuralSummariser(_tiny(tiny_causal_lm, "causal", tmp_path)).build().save(tmp_path / "saved")
    monkeypatch.setenv(DECODER_ENV, '{"sliced_head": false, "max_new_tokens": 7}')
    g = load_summariser(saved).config.generation
    assert (g.sliced_head, g.max_new_tokens, g.copy_words) == (False, 7, True)  # the rest as saved
    for bad, message in (("{sliced", "not JSON"), ("[1]", "JSON object"), ('{"lr": 1}', "lr"),
                         ('{"max_new_tokens": 1}', "at least 4")):
        monkeypatch.setenv(DECODER_ENV, bad)
        with pytest.raises(ConfigError, match=message):
            load_summariser(saved)


def _losses(base: Path, tmp_path: Path) -> tuple[Any, Any, NeuralSummariser]:
    """The same tiny model's loss in float32 and with ``training.bf16`` on."""
    docs, refs = ["Viet Nam and Korea agreed to expand trade and investment."], ["They agreed on trade."]
    plain = NeuralSummariser(_tiny(base, "causal", tmp_path)).build()
    fast = NeuralSummariser(_tiny(base, "causal", tmp_path, bf16=True)).build()
    fast.model.load_state_dict(plain.model.state_dict())
    return plain.loss(docs, refs), fast.loss(docs, refs), fast


@pytest.mark.skipif(not bf16_native(), reason="this CPU has no native bfloat16 (the switch falls back to float32)")
def test_bf16_autocasts_the_loss_and_keeps_float32_weights(tiny_causal_lm: Path, tmp_path: Path) -> None:
    """``training.bf16`` changes the loss's arithmetic (a slightly different value, still float32) and trains the
    float32 adapter: gradients reach it in float32."""
    import torch

    a, b, fast = _losses(tiny_causal_lm, tmp_path)
    assert b.dtype == torch.float32 and a.item() != b.item() and abs(a.item() - b.item()) < 0.05 * a.item()
    b.backward()
    grads = [p.grad for p in fast.model.parameters() if p.requires_grad]
    assert grads and all(g is not None and g.dtype == torch.float32 for g in grads)


def test_bf16_falls_back_to_float32_without_native_support(tiny_causal_lm: Path, tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """Emulated bf16 is slower than float32: on such a machine the switch leaves the arithmetic alone."""
    monkeypatch.setattr("accord.system.bf16_native", lambda device=None: False)
    a, b, _ = _losses(tiny_causal_lm, tmp_path)
    assert a.item() == b.item()


def test_the_lora_initialisation_does_not_depend_on_resolving_the_base(tiny_causal_lm: Path, tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """A first run converts Gemma while resolving its base, which may draw random numbers; the adapters of the same
    seed must start the same whether the base was converted in this process or found in the cache."""
    import torch

    import accord.summarise.model as model_module

    cached = NeuralSummariser(_tiny(tiny_causal_lm, "causal", tmp_path)).build()
    resolve = model_module.resolve_base
    monkeypatch.setattr(model_module, "resolve_base", lambda base: torch.rand(1000) is not None and resolve(base))
    converted = NeuralSummariser(_tiny(tiny_causal_lm, "causal", tmp_path)).build()
    lora = {k: v for k, v in cached.model.state_dict().items() if "lora_A" in k}
    assert lora and all(torch.equal(v, converted.model.state_dict()[k]) for k, v in lora.items())
