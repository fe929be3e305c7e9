"""What every sentence classifier runtime shares at prediction time, kept free of heavy imports (no torch, no
``datasets``), so the ONNX Runtime path of ``accord classify`` starts in a second: the input preparation and the
token-length-sorted batching."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

import numpy as np

from accord.labels import LABELS
from accord.text import unify_spelling


def prepare_texts(texts: list[str], normalise: bool) -> list[str]:
    """What the model sees: the sentences, spellings unified when ``normalise`` (the config's ``normalise``)."""
    return [unify_spelling(t) for t in texts] if normalise else list(texts)


def preparer(normalise: bool) -> Callable[[list[str]], list[str]]:
    """:func:`prepare_texts` with ``normalise`` bound: a preparation that holds no reference to a model."""
    return partial(prepare_texts, normalise=normalise)


def length_sorted_proba(tokenizer: Any, texts: list[str], batch_size: int, max_length: int,
                        proba: Callable[[dict[str, np.ndarray]], np.ndarray]) -> np.ndarray:
    """``proba`` of padded batches of ``batch_size`` texts, sorted by token count; rows back in input order.

    Every text is tokenised once (truncated to ``max_length``), then batched by token count, so a batch is padded
    only to its own longest sentence: on the corpus, at batch size 32, 7% padding for 512 texts at a time and 2% for
    2,048 (27% and 22% when sorting by characters).
    """
    texts = list(texts)
    out = np.zeros((len(texts), len(LABELS)), dtype=np.float64)
    if not texts:
        return out
    enc = tokenizer(texts, truncation=True, max_length=max_length)
    keys = [k for k in ("input_ids", "attention_mask", "token_type_ids") if k in enc]
    lengths = [len(ids) for ids in enc["input_ids"]]
    order = np.argsort(lengths, kind="stable")
    fill = {"input_ids": tokenizer.pad_token_id or 0}
    left = getattr(tokenizer, "padding_side", "right") == "left"
    for start in range(0, len(texts), batch_size):
        idx = order[start:start + batch_size]
        width = max(lengths[i] for i in idx)
        batch = {k: np.full((len(idx), width), fill.get(k, 0), dtype=np.int64) for k in keys}
        for row, i in enumerate(idx):
            n = lengths[i]
            for k in keys:
                if left:
                    batch[k][row, width - n:] = enc[k][i]
                else:
                    batch[k][row, :n] = enc[k][i]
        out[idx] = proba(batch)
    return out
