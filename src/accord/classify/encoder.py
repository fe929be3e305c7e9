"""A sentence encoder with a multi-label head on its mean-pooled tokens: how all-MiniLM-L6-v2 was trained to embed.

``AutoModelForSequenceClassification`` puts the head on BERT's [CLS] pooler, which a sentence-transformers
checkpoint never tuned; on the project's data that head learned slowly (validation macro-F1 0.47 after two epochs,
against the mean-pooled head's, docs/decisions.md). The head's bias starts at the log-odds of each label's share
of the training sentences, so the first steps are not spent learning that most sentences are ``other``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

HEAD_FILE = "head.pt"


def mean_pooled_classifier(encoder: Any, n_labels: int, prior: np.ndarray | None = None, dropout: float = 0.1
                           ) -> Any:
    """``encoder`` (any HF encoder) + dropout + a linear layer over its attention-masked mean of tokens."""
    import torch
    from transformers.modeling_outputs import SequenceClassifierOutput

    class MeanPooledClassifier(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.encoder = encoder
            self.config = encoder.config  # what ONNX export and fusion read (heads, hidden size)
            self.dropout = torch.nn.Dropout(dropout)
            self.head = torch.nn.Linear(encoder.config.hidden_size, n_labels)
            if prior is not None:
                p = np.clip(prior, 1e-3, 1 - 1e-3)
                self.head.bias.data = torch.tensor(np.log(p / (1 - p)), dtype=torch.float32)

        def get_input_embeddings(self) -> Any:
            return self.encoder.get_input_embeddings()

        def forward(self, input_ids: Any = None, attention_mask: Any = None, token_type_ids: Any = None,
                    labels: Any = None) -> Any:
            hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask,
                                  token_type_ids=token_type_ids).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            logits = self.head(self.dropout(pooled))
            loss = None
            if labels is not None:
                loss = torch.nn.functional.binary_cross_entropy_with_logits(logits, labels.to(logits.dtype))
            return SequenceClassifierOutput(loss=loss, logits=logits)

    return MeanPooledClassifier()


def save(model: Any, folder: Path) -> None:
    import torch

    model.encoder.save_pretrained(folder)
    torch.save(model.head.state_dict(), folder / HEAD_FILE)


def load(folder: Path, n_labels: int) -> Any:
    import torch
    from transformers import AutoModel

    model = mean_pooled_classifier(AutoModel.from_pretrained(folder), n_labels)
    model.head.load_state_dict(torch.load(folder / HEAD_FILE, weights_only=True))
    return model.eval()
