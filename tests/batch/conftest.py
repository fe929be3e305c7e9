"""Fixtures shared by the batch tests."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from accord.labels import LABELS
from tests.conftest import make_config


@pytest.fixture(scope="session")
def tiny_minilm(tiny_encoder: Path) -> object:
    """A tiny MiniLM-family classifier (random weights, the MiniLM tokenizer), as in tests/classify/test_onnx.py."""
    import torch
    from transformers import AutoModel, AutoTokenizer

    from accord.classify.config import ClassifierConfig
    from accord.classify.encoder import pooled_classifier
    from accord.classify.model import TransformerClassifier

    torch.manual_seed(0)
    model = pooled_classifier(AutoModel.from_pretrained(tiny_encoder), len(LABELS)).eval()
    cfg = make_config(ClassifierConfig, family="minilm", max_length=32, predict_batch_size=4)
    clf = TransformerClassifier(cfg, model, AutoTokenizer.from_pretrained(tiny_encoder))
    clf.thresholds = np.array([0.5, 0.45, 0.5, 0.55, 0.5])
    return clf
