"""The summariser model: configs, families and saved-model compatibility."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from accord.config import ConfigError
from accord.summarise.model import NeuralSummariser, load_summariser
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


