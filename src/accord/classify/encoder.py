"""A sentence encoder with a multi-label head on its pooled tokens: how all-MiniLM-L6-v2 was trained to embed.

``AutoModelForSequenceClassification`` puts the head on BERT's [CLS] pooler, which a sentence-transformers
checkpoint never tuned; on the project's data that head learned slowly (validation macro-F1 0.47 after two epochs,
against the mean-pooled head's, docs/decisions.md). The head's bias starts at the log-odds of each label's share
of the training sentences, so the first steps are not spent learning that most sentences are ``other``. Pooling is
the mean of the tokens (an encoder's) or the last real token (``last``: in a causal decoder such as Gemma only the
last token has read the whole sentence).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import numpy as np

HEAD_FILE = "head.pt"
_TOKENIZERS: dict[str, Any] = {}  # tokenizer files' digest -> the tokenizer built from them, once per process
POOLINGS = ("mean", "last")  # the head's input: the masked mean of the tokens, or the last real token's state


def pooled_classifier(encoder: Any, n_labels: int, prior: np.ndarray | None = None, dropout: float = 0.1,
                      pooling: str = "mean") -> Any:
    """``encoder`` (any HF encoder or decoder body) + dropout + a linear layer over its pooled tokens."""
    import torch
    from transformers.modeling_outputs import SequenceClassifierOutput

    class PooledClassifier(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.encoder = encoder
            self.config = encoder.config  # what ONNX export and fusion read (heads, hidden size)
            self.dropout = torch.nn.Dropout(dropout)
            self.head = torch.nn.Linear(encoder.config.hidden_size, n_labels)
            self.pooling = pooling  # part of the ONNX export's cache key: the same weights pooled otherwise differ
            if prior is not None:
                p = np.clip(prior, 1e-3, 1 - 1e-3)
                self.head.bias.data = torch.tensor(np.log(p / (1 - p)), dtype=torch.float32)

        def get_input_embeddings(self) -> Any:
            return self.encoder.get_input_embeddings()

        def forward(self, input_ids: Any = None, attention_mask: Any = None, token_type_ids: Any = None,
                    labels: Any = None) -> Any:
            hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask,
                                  token_type_ids=token_type_ids).last_hidden_state
            logits = self.head(self.dropout(pool(hidden, attention_mask, self.pooling)))
            loss = None
            if labels is not None:
                loss = torch.nn.functional.binary_cross_entropy_with_logits(logits, labels.to(logits.dtype))
            return SequenceClassifierOutput(loss=loss, logits=logits)

    return PooledClassifier()


def pool(hidden: Any, attention_mask: Any, pooling: str) -> Any:
    """The masked mean of ``hidden`` over its tokens, or the state of each row's last real token (the highest
    position the mask keeps: right or left padding alike)."""
    import torch

    if pooling == "last":
        positions = torch.arange(hidden.shape[1], device=hidden.device)
        last = (attention_mask.long() * positions).argmax(-1)
        return hidden[torch.arange(hidden.shape[0], device=hidden.device), last]
    mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
    return (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)


def save(model: Any, folder: Path) -> None:
    import torch

    model.encoder.save_pretrained(folder)
    torch.save(model.head.state_dict(), folder / HEAD_FILE)


def load(folder: Path, n_labels: int, pooling: str = "mean") -> Any:
    import torch
    from transformers import AutoModel

    model = pooled_classifier(AutoModel.from_pretrained(folder), n_labels, pooling=pooling)
    model.head.load_state_dict(torch.load(folder / HEAD_FILE, weights_only=True))
    return model.eval()


def load_tokenizer(folder: Path) -> Any:
    """A saved classifier's tokenizer, built straight from its ``tokenizer.json`` with the special tokens, input names
    and padding side of its config and class: the same ids as ``AutoTokenizer`` (a test), without the start-up of a
    model-specific class (Gemma's took 4.9 s of a 5.5 s command start, this 1.4 s), and built once per process for
    the same files. Elsewhere ``AutoTokenizer``."""
    from transformers import AutoTokenizer, PreTrainedTokenizerFast
    from transformers.models.auto.tokenization_auto import tokenizer_class_from_name

    file, config = folder / "tokenizer.json", folder / "tokenizer_config.json"
    if not (file.is_file() and config.is_file()):
        return AutoTokenizer.from_pretrained(folder)
    key = hashlib.sha256(file.read_bytes() + b"\0" + config.read_bytes()).hexdigest()
    if key in _TOKENIZERS:  # two Gemma members of one ensemble carry the same 33 MB file: built once
        return _TOKENIZERS[key]
    settings = json.loads(config.read_text(encoding="utf-8"))
    cls = tokenizer_class_from_name(settings.get("tokenizer_class") or "") or PreTrainedTokenizerFast
    special = {k: v["content"] if isinstance(v, dict) else v for k, v in settings.items()
               if k.endswith("_token") and isinstance(v, (str, dict)) and v}
    _TOKENIZERS[key] = PreTrainedTokenizerFast(
        tokenizer_file=str(file), model_input_names=list(cls.model_input_names),
        padding_side=settings.get("padding_side", cls.padding_side),
        truncation_side=settings.get("truncation_side", cls.truncation_side),
        **({"model_max_length": settings["model_max_length"]} if "model_max_length" in settings else {}), **special)
    return _TOKENIZERS[key]
