"""ONNX Runtime backend for a fine-tuned MiniLM classifier: export once, fuse, optionally quantise to int8, serve.

    clf = load_classifier("models/x")                       # a TransformerClassifier (family "minilm")
    fast = OnnxClassifier.from_classifier(clf, "int8")       # exported, fused and quantised once, then cached
    probs = fast.predict_proba(["The two sides agreed to expand trade."])

How the graph is made (each choice measured on the project's 2-CPU machine with the champion MiniLM; the speed and
validation macro-F1 of every backend are in ``evaluation/reports/classify_benchmark.md``):

- **Export**: ``torch.onnx.export`` with the TorchScript exporter (``dynamo=False``; opset 17; batch and sequence
  axes dynamic) of a copy of the model switched to eager attention. That graph is the one ONNX Runtime's BERT
  optimiser recognises: one ``EmbedLayerNormalization``, one fused ``Attention`` per layer, ``BiasGelu`` and
  ``SkipLayerNormalization``. The ``torch.export`` path (``dynamo=True``) and SDPA attention export fine but leave
  attention unfused.
- **int8**: ``onnxruntime.quantization.quantize_dynamic`` of the fused graph: weights int8 per output channel
  (signed, full 8-bit range: this CPU has AVX-512 VNNI), activations quantised per batch at run time
  (``DynamicQuantizeLinear``). The ``MatMul`` and ``Attention`` nodes are quantised (the pooler and the head, too:
  keeping them fp32 changed no validation prediction); the embeddings stay fp32. Per-tensor weights lost more
  than 0.01 validation macro-F1. Activation scales are computed per batch, so an int8 score moves slightly
  (mean 0.002 on the corpus) with the sentences that share its batch; the same input always gives the same output.
- **Session**: ``ORT_ENABLE_ALL`` graph optimisations, ``intra_op_num_threads`` = the cores this process may use.

Exports are cached in ``$ACCORD_ONNX_CACHE`` (default ``models/onnx/``) in a folder named by a digest of the model's
weights and config and of the torch/onnxruntime versions, so a model is exported once per machine; each file is
written to a temp name and renamed into place, so an interrupted export is never picked up.
"""

from __future__ import annotations

import contextlib
import copy
import hashlib
import json
import logging
import os
import tempfile
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from accord import paths
from accord.classify.batching import length_sorted_proba, preparer
from accord.io import write_text_atomic
from accord.system import machine_threads

PRECISIONS = ("fp32", "int8")
OPSET = 17
EXPORT_VERSION = 1  # bump when the export, fusion or quantisation recipe changes: old cache folders are ignored
CACHE_ENV = "ACCORD_ONNX_CACHE"
INPUTS = ("input_ids", "attention_mask", "token_type_ids")
INT8_OPS = ("MatMul", "Attention")
ONNX_MODEL_TYPES = ("bert",)  # encoders whose export ONNX Runtime's BERT optimiser fuses; others serve in torch
DUMMY = ["The two sides agreed to expand trade and investment.", "Visas."]


def cache_root() -> Path:
    """Where exports are cached: ``$ACCORD_ONNX_CACHE``, else ``models/onnx`` under the project root."""
    return Path(os.environ.get(CACHE_ENV) or paths.MODELS_DIR / "onnx")


def model_digest(model: Any) -> str:
    """A short digest of a torch model's weights and config, and of the software that exports and runs it."""
    import onnxruntime
    import torch

    h = hashlib.sha256(f"v{EXPORT_VERSION} torch {torch.__version__} ort {onnxruntime.__version__}".encode())
    config = getattr(model, "config", None)
    h.update((config.to_json_string() if config is not None else type(model).__name__).encode())
    if getattr(model, "pooling", "mean") != "mean":  # another graph on the same weights (mean keeps its old keys)
        h.update(f"pooling {model.pooling}".encode())
    for name, tensor in sorted(model.state_dict().items()):
        h.update(name.encode())
        h.update(tensor.detach().cpu().contiguous().numpy().tobytes())
    return h.hexdigest()[:20]


def _logits_module(model: Any, names: list[str]) -> Any:
    """A module whose positional inputs (``names``) and single output (``logits``) become the graph's."""
    import torch

    class Logits(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, *inputs: torch.Tensor) -> torch.Tensor:
            return self.model(**dict(zip(names, inputs, strict=True))).logits

    return Logits().eval()


def export_fp32(model: Any, tokenizer: Any, out: str | os.PathLike[str]) -> Path:
    """Export ``model`` (a HF sequence classifier) to ONNX and fuse it with ONNX Runtime's BERT optimiser."""
    import torch
    from onnxruntime.transformers import optimizer

    out = Path(out)
    eager = copy.deepcopy(model).eval()
    with contextlib.suppress(AttributeError, ValueError):  # older transformers: eager is the only implementation
        getattr(eager, "encoder", eager).set_attn_implementation("eager")  # a mean-pooled head wraps the encoder
    enc = tokenizer(DUMMY, padding=True, return_tensors="pt")
    names = [n for n in INPUTS if n in enc]
    raw = out.with_name(out.name + ".raw")
    with warnings.catch_warnings(), torch.inference_mode(False), torch.no_grad():
        warnings.simplefilter("ignore")  # the TorchScript exporter is deprecated (see the module docstring)
        torch.onnx.export(_logits_module(eager, names), tuple(enc[n] for n in names), str(raw), dynamo=False,
                          opset_version=OPSET, input_names=names, output_names=["logits"],
                          dynamic_axes={**{n: {0: "batch", 1: "sequence"} for n in names}, "logits": {0: "batch"}},
                          do_constant_folding=True)
    config = model.config
    fused = optimizer.optimize_model(str(raw), model_type="bert", num_heads=config.num_attention_heads,
                                     hidden_size=config.hidden_size, opt_level=0)
    fused.save_model_to_file(str(out))
    raw.unlink()
    return out


def quantize_int8(src: str | os.PathLike[str], out: str | os.PathLike[str]) -> Path:
    """int8 dynamic quantisation of the ``MatMul``/``Attention`` nodes of ``src``: int8 weights per output channel."""
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)  # it advises "pre-processing" (shape inference), which the fused ops defeat
    try:
        quantize_dynamic(str(src), str(out), op_types_to_quantize=list(INT8_OPS), per_channel=True,
                         reduce_range=False, weight_type=QuantType.QInt8,
                         extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT})
    finally:
        root.setLevel(level)
    return Path(out)


def cached_export(model: Any, tokenizer: Any, precision: str = "fp32", cache_dir: str | os.PathLike[str] | None = None
                  ) -> Path:
    """The ONNX file of ``model`` at ``precision``, exported (and quantised) on first use, then read from the cache."""
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {PRECISIONS}, got {precision!r}")
    folder = _cache_folder(Path(cache_dir or cache_root()), model_digest(model))
    fp32 = folder / "model.fp32.onnx"
    if not fp32.exists():
        _build(fp32, lambda tmp: export_fp32(model, tokenizer, tmp))
        meta = {"export_version": EXPORT_VERSION, "opset": OPSET, "model": type(model).__name__}
        write_text_atomic(folder / "meta.json", json.dumps(meta, indent=2) + "\n")
    if precision == "fp32":
        return fp32
    int8 = folder / "model.int8.onnx"
    if not int8.exists():
        _build(int8, lambda tmp: quantize_int8(fp32, tmp))
    return int8


def _cache_folder(root: Path, digest: str) -> Path:
    """``root/digest``, created; a per-user temp folder instead where ``root`` is not writable (a read-only install)."""
    folder = root / digest
    with contextlib.suppress(OSError):
        folder.mkdir(parents=True, exist_ok=True)
    if folder.is_dir() and os.access(folder, os.W_OK):
        return folder
    fallback = Path(tempfile.gettempdir()) / f"accord-onnx-{os.getuid()}" / digest
    fallback.mkdir(parents=True, exist_ok=True)
    return fallback


def _build(target: Path, make: Any) -> None:
    """Write ``target`` through ``make(temp_path)`` in the same folder, then rename it into place."""
    fd, tmp = tempfile.mkstemp(prefix=f".{target.stem}-", suffix=".onnx", dir=target.parent)
    os.close(fd)
    try:
        make(Path(tmp))
        os.replace(tmp, target)
    finally:
        for leftover in (Path(tmp), Path(tmp + ".raw")):
            leftover.unlink(missing_ok=True)


def session(path: str | os.PathLike[str], threads: int | None = None) -> Any:
    """An ONNX Runtime CPU session with every graph optimisation, ``threads`` (default: all cores) intra-op."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.intra_op_num_threads = threads or machine_threads()
    options.inter_op_num_threads = 1
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


class OnnxClassifier:
    """A MiniLM classifier's ``predict_proba`` on ONNX Runtime: same tokenizer, batches and thresholds."""

    family = "minilm"

    def __init__(self, path: str | os.PathLike[str], tokenizer: Any, thresholds: np.ndarray, batch_size: int = 32,
                 max_length: int = 128, threads: int | None = None, prepare: Any = None) -> None:
        self.path = Path(path)
        self.session = session(path, threads)
        self.input_names = [i.name for i in self.session.get_inputs()]
        self.tokenizer, self.thresholds = tokenizer, np.asarray(thresholds, dtype=float)
        self.batch_size, self.max_length = batch_size, max_length
        self.prepare = prepare or list  # the classifier's input preparation (spelling unification), if any

    @classmethod
    def from_classifier(cls, classifier: Any, precision: str = "fp32",
                        cache_dir: str | os.PathLike[str] | None = None) -> OnnxClassifier:
        """The ONNX twin of a :class:`~accord.classify.model.TransformerClassifier` (exported once, then cached)."""
        path = cached_export(classifier.model, classifier.tokenizer, precision, cache_dir)
        spec = serving_spec(classifier, path)
        return cls(path, classifier.tokenizer, classifier.thresholds, spec["batch_size"], spec["max_length"],
                   spec["threads"] or None, preparer(spec["normalise"]))  # no bound method: the torch model can go

    @classmethod
    def from_spec(cls, spec: dict[str, Any], tokenizer_dir: str | os.PathLike[str]) -> OnnxClassifier:
        """Rebuild from :func:`serving_spec` and the saved tokenizer without torch or ``transformers`` (the fast
        start of ``accord classify`` from its model cache)."""
        tokenizer = FastTokenizer(tokenizer_dir, spec["pad_token_id"])
        return cls(spec["onnx"], tokenizer, np.asarray(spec["thresholds"], dtype=float), spec["batch_size"],
                   spec["max_length"], spec["threads"] or None, preparer(spec["normalise"]))

    def _proba(self, batch: dict[str, np.ndarray]) -> np.ndarray:
        logits = self.session.run(["logits"], {n: batch[n] for n in self.input_names})[0]
        return 1.0 / (1.0 + np.exp(-logits.astype(np.float64)))

    def predict_proba(self, texts: list[str]) -> np.ndarray:
        """Probabilities in input order (token-length-sorted batches, as the torch classifier does)."""
        return length_sorted_proba(self.tokenizer, self.prepare(texts), self.batch_size, self.max_length, self._proba)


class OnnxEnsemble:
    """An ensemble of MiniLM classifiers on ONNX Runtime: the weighted mean of its members' probabilities under the
    ensemble's own thresholds, as :class:`~accord.classify.ensemble.EnsembleClassifier` computes them in torch."""

    family = "ensemble"

    def __init__(self, members: list[OnnxClassifier], weights: Any, thresholds: Any) -> None:
        self.members = members
        self.weights, self.thresholds = np.asarray(weights, dtype=float), np.asarray(thresholds, dtype=float)

    @classmethod
    def from_classifier(cls, ensemble: Any, precision: str = "fp32",
                        cache_dir: str | os.PathLike[str] | None = None) -> OnnxEnsemble:
        """Each member exported (or found in the cache) on its own."""
        members = [OnnxClassifier.from_classifier(m, precision, cache_dir) for m in ensemble.members]
        return cls(members, ensemble.weights, ensemble.thresholds)

    @classmethod
    def from_spec(cls, spec: dict[str, Any]) -> OnnxEnsemble:
        """Rebuild from :func:`ensemble_spec` without torch or ``transformers``."""
        members = [OnnxClassifier.from_spec(m, m["tokenizer_dir"]) for m in spec["members"]]
        return cls(members, spec["weights"], spec["thresholds"])

    def predict_proba(self, texts: list[str]) -> np.ndarray:
        return sum(w * m.predict_proba(texts) for w, m in zip(self.weights, self.members, strict=True))


def onnx_servable(classifier: Any) -> bool:
    """Whether ONNX Runtime can serve ``classifier``: a MiniLM-family model on a BERT-type encoder (what
    :func:`export_fp32` fuses), or an ensemble of them. Other bases (a Gemma encoder, gemma.yaml) serve in torch."""
    family = getattr(classifier, "family", "")
    if family == "ensemble":
        return all(onnx_servable(m) for m in classifier.members)
    return family == "minilm" and encoder_type(classifier) in ONNX_MODEL_TYPES


def encoder_type(classifier: Any) -> str:
    """The HF ``model_type`` of a MiniLM-family classifier's torch model ("bert" for MiniLM, "gemma3_text" for
    gemma.yaml's); "bert" where there is no torch model to ask (an ONNX scorer serves only BERT-type exports)."""
    config = getattr(getattr(classifier, "model", None), "config", None)
    return getattr(config, "model_type", "bert")


def ensemble_spec(ensemble: Any, scorer: OnnxEnsemble, tokenizer_dirs: list[Path]) -> dict[str, Any]:
    """:func:`serving_spec` of every member (with its tokenizer folder), the weights and the ensemble's thresholds."""
    members = [serving_spec(m, s.path) | {"tokenizer_dir": str(Path(d).resolve())}
               for m, s, d in zip(ensemble.members, scorer.members, tokenizer_dirs, strict=True)]
    return {"members": members, "weights": [float(w) for w in ensemble.weights],
            "thresholds": [float(t) for t in ensemble.thresholds]}


def serving_spec(classifier: Any, path: str | os.PathLike[str]) -> dict[str, Any]:
    """Everything :meth:`OnnxClassifier.from_spec` needs besides the tokenizer files, as JSON-ready values: the ONNX
    file (and its size, to notice a truncated one), thresholds, batching and input preparation."""
    c = classifier.config.minilm
    return {"onnx": str(Path(path).resolve()), "onnx_bytes": Path(path).stat().st_size,
            "thresholds": [float(t) for t in classifier.thresholds], "batch_size": c.predict_batch_size,
            "max_length": c.max_length, "threads": c.threads, "normalise": bool(classifier.config.normalise),
            "pad_token_id": classifier.tokenizer.pad_token_id or 0}


class FastTokenizer:
    """A saved Hugging Face tokenizer's ``tokenizer.json`` run by the ``tokenizers`` library: what
    :func:`~accord.classify.batching.length_sorted_proba` needs, without importing ``transformers`` (which imports
    torch: seconds of start-up). Same ids, masks and truncation as the ``transformers`` fast tokenizer."""

    padding_side = "right"

    def __init__(self, folder: str | os.PathLike[str], pad_token_id: int) -> None:
        from tokenizers import Tokenizer

        self.backend = Tokenizer.from_file(str(Path(folder) / "tokenizer.json"))
        self.backend.no_padding()
        self.pad_token_id = pad_token_id

    def __call__(self, texts: list[str], truncation: bool = True, max_length: int | None = None
                 ) -> dict[str, list[list[int]]]:
        if truncation and max_length:
            self.backend.enable_truncation(max_length)
        else:
            self.backend.no_truncation()
        encodings = self.backend.encode_batch(list(texts))
        return {"input_ids": [e.ids for e in encodings], "attention_mask": [e.attention_mask for e in encodings],
                "token_type_ids": [e.type_ids for e in encodings]}
