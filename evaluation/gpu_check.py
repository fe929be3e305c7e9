"""GPU check: the code paths that move to CUDA when a machine has one, run there with tiny random models (no
download, no MLflow, no project data). `accord train summariser` puts the model on CUDA and decodes its validation
passes there; the MiniLM trainer (HF Trainer) trains on it. Not part of the suite: CI has no GPU.

    python evaluation/gpu_check.py            # on a CUDA machine; exit 0 when every check passed
    python evaluation/gpu_check.py --device cpu   # the same checks on the CPU (to check the script itself)

Needs torch, transformers, peft, scikit-learn, pysbd and `src/` on the path (PYTHONPATH=src).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

DOCS = ["The Hanoi trade talks ended with a new target.", "Seoul and Hanoi agreed on trade and the 2030 target."]
REFS = ["the trade talks ended", "they agreed on trade"]
WORDS = ["the", "trade", "talks", "ended", "with", "a", "new", "target", "seoul", "and", "hanoi", "agreed", "on",
         "defence", "visas", "students", "chips"]


def tiny_gemma(out: Path) -> Path:
    """The suite's tiny random Gemma 3 and its Gemma-style BPE tokenizer (``accord.testing``)."""
    from accord import testing

    testing.tiny_gemma(out / "base", testing.tiny_gemma_tokenizer(out / "tokenizer"))
    return out / "base"


def tiny_bert(out: Path) -> Path:
    """The suite's tiny random BERT encoder, with a WordPiece vocabulary of the check's words (the embedded MiniLM
    tokenizer need not be installed on a device machine)."""
    from transformers import BertTokenizerFast

    from accord.testing import tiny_bert as build

    (out / "vocab.txt").write_text("\n".join(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *WORDS]) + "\n")
    return build(out, BertTokenizerFast(vocab_file=str(out / "vocab.txt")))


def check_summariser(base: Path, device: str) -> list[str]:
    """Greedy constrained decoding on ``device`` (as training's validation passes run) against the CPU, and one
    bf16-autocast training loss with its backward pass."""
    from accord.config import from_dict
    from accord.summarise.config import SummariserConfig
    from accord.summarise.decoding import common_vocabulary
    from accord.summarise.model import NeuralSummariser

    cfg = from_dict(SummariserConfig, {"family": "causal", "base_model": str(base), "max_source_tokens": 48,
                                       "max_target_tokens": 16, "max_new_tokens": 12}, "gpu check")
    summ = NeuralSummariser(cfg).build()
    summ.common_ids = common_vocabulary(summ.tokenizer, REFS)
    on_cpu = summ.summarise(DOCS)
    summ.model.to(device)
    started = time.perf_counter()
    on_device = summ.summarise(DOCS)
    lines = [f"summarise on {device}: {time.perf_counter() - started:.2f} s, {on_device}",
             f"same summaries as on the CPU: {on_device == on_cpu}"]
    loss = summ.loss(DOCS, REFS)
    loss.backward()
    grads = [p.grad for p in summ.model.parameters() if p.requires_grad and p.grad is not None]
    assert grads and all(g.device.type == device for g in grads) and torch.isfinite(loss), "no finite loss on device"
    return [*lines, f"training loss on {device}: {loss.item():.4f} ({len(grads)} LoRA gradients there)",
            *check_accord_body(summ, base, device)]


def check_accord_body(summ: object, base: Path, device: str) -> list[str]:
    """accord's own Gemma 3 body (what serving loads) decoding on ``device``: greedy against the CPU, and with
    prompt-lookup drafts (rejected draft columns masked in the device's cache) against greedy."""
    from accord.summarise import gemma3

    summ.model = gemma3.load(base)
    on_cpu = summ.summarise(DOCS)
    summ.model.to(device)
    on_device = summ.summarise(DOCS)
    summ.g.draft_tokens = 3
    drafted = summ.summarise(DOCS)
    summ.g.draft_tokens = 0
    return [f"accord body on {device}: {on_device}; same as on the CPU: {on_device == on_cpu}; "
            f"with drafts of 3, the same: {drafted == on_device}"]


def check_classifier(encoder: Path, device: str, **settings: object) -> list[str]:
    """One epoch of the MiniLM family's trainer (it picks CUDA where there is one) and its probabilities."""
    from accord.classify.config import ClassifierConfig
    from accord.classify.families import build_classifier
    from accord.config import from_dict

    cfg = from_dict(ClassifierConfig, {"family": "minilm", "base_model": str(encoder), "epochs": 1,
                                       "batch_size": 4, "bf16": True, **settings}, "gpu check")
    texts = [" ".join(WORDS[i:i + 5]) for i in range(12)]
    y = np.array([[i % 2, (i // 2) % 2, 0, 1 - i % 2, 0] for i in range(12)])
    if device == "cuda":
        torch.cuda.reset_peak_memory_stats()  # the summariser's check ran first: its peak is not the trainer's
    clf = build_classifier(cfg).fit(texts, y, texts, y)
    proba = clf.predict_proba(texts)
    assert proba.shape == (12, 5) and np.isfinite(proba).all(), "bad probabilities"
    used = torch.cuda.max_memory_allocated() / 2**20 if device == "cuda" else 0.0
    assert device == "cpu" or used > 0, "the trainer left the GPU unused"
    return [f"trained and predicted ({proba.shape}); CUDA memory used by it: {used:.1f} MiB"]


def check_gemma_classifier(base: Path, device: str) -> list[str]:
    """The same trainer on a causal base as `gemma.yaml` sets it (embeddings frozen), read at the last token."""
    return check_classifier(base, device, freeze_embeddings=True, pooling="last")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cuda", choices=["cuda", "cpu"])
    device = parser.parse_args().device
    if device == "cuda" and not torch.cuda.is_available():
        print("error: no CUDA device here (use --device cpu to check the script)", file=sys.stderr)
        return 2
    print(f"torch {torch.__version__}, device {torch.cuda.get_device_name() if device == 'cuda' else 'cpu'}")
    failed = 0
    with tempfile.TemporaryDirectory() as tmp:
        for name, check, model in (("summariser", check_summariser, tiny_gemma),
                                   ("classifier", check_classifier, tiny_bert),
                                   ("gemma classifier", check_gemma_classifier, tiny_gemma)):
            folder = Path(tmp) / name
            folder.mkdir()
            try:
                print("\n".join(f"{name}: {line}" for line in check(model(folder), device)))
            except Exception as exc:  # a check that fails is reported and the next one still runs
                failed += 1
                print(f"{name}: FAILED {type(exc).__name__}: {exc}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
