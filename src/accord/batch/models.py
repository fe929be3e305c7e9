"""The registered champions loaded for serving: how ``accord classify`` and ``accord summarise`` start in seconds.

Every start used to import MLflow (about 2 s), resolve ``models:/<name>@champion``, download the model version again
and load it through ``mlflow.pyfunc`` (a MiniLM classifier's torch model too, kept beside its ONNX session). Now the
version is resolved and kept on disk by :mod:`accord.batch.cache`, and:

- **Loading without ``mlflow.pyfunc``**: an accord classifier or neural summariser loads from the entry directly;
  a MiniLM classifier on ONNX Runtime is rebuilt from its cached export and saved tokenizer without importing torch
  (``serving-onnx-<precision>.json``, written once after the first export; the torch model is dropped after it).
  Anything else (a pickled baseline) goes through ``mlflow.pyfunc.load_model`` on the entry.
- A summariser is loaded once per process and entry (:func:`load_summariser`).
"""

from __future__ import annotations

import contextlib
import gc
import json
import os
import shutil
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from accord import paths, tracking
from accord.batch.cache import entry, resolve
from accord.batch.progress import Phases
from accord.classify.predictor import DEFAULT_PRECISION, DEFAULT_RUNTIME, Predictor, serving_runtime
from accord.config import ConfigError
from accord.io import write_text_atomic

# Documents the batch commands' summariser decodes together (at least): on 114 real validation articles 16 gave the
# same summaries as 8, 1.22x faster; 32 changed one near-tie, 1.27x (evaluation/reports/decoding_comparison_batch*.md)
DECODE_BATCH = 16
# Documents per summariser call in the batch commands: sorted by length across four decode batches, so each batch
# pads less. Briefs on 100 real articles: 179 s against 199 s at 16 per call and 212 s at the old 8 and 8.
SUMMARY_CALL = 4 * DECODE_BATCH
MAX_AGREEMENT_DRAWS = 16  # --agreement-draws at most: each draw is one more decoding of every summary checked
_SUMMARISERS: dict[str, Any] = {}  # entry folder -> loaded summariser: each is loaded once per process


def _pyfunc(folder: Path) -> Any:
    """The entry's model through ``mlflow.pyfunc`` (models that are not accord's own folders, e.g. pickled ones)."""
    import mlflow

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    try:
        return mlflow.pyfunc.load_model(str(folder / "model"))
    except Exception as exc:  # a model that cannot load is reported, never a traceback
        raise tracking.ModelBroken(f"cannot load the cached model in {folder}: {exc}") from None


def _artifact(folder: Path, name: str, meta: str) -> Path | None:
    """The accord model folder saved as pyfunc artifact ``name`` of the entry (None where the model is not one)."""
    saved = paths.pyfunc_artifact(folder / "model", name)
    return saved if (saved / meta).is_file() else None


def spec_path(folder: Path, precision: str) -> Path:
    return folder / f"serving-onnx-{precision}.json"


def _exports(spec: dict[str, Any]) -> list[dict[str, Any]]:
    """The serving specs of a spec's ONNX files: an ensemble's members, or the spec itself."""
    return spec.get("members", [spec])


def _onnx_from_spec(folder: Path, precision: str, tokenizer_dir: Path) -> Predictor | None:
    """The ONNX predictor rebuilt from the entry's serving spec, no torch; None where the spec or its export is
    missing or damaged (they are made again)."""
    from accord.classify.onnx import OnnxClassifier, OnnxEnsemble

    path = spec_path(folder, precision)
    try:
        spec = json.loads(path.read_text(encoding="utf-8"))
        if any(Path(m["onnx"]).stat().st_size != m["onnx_bytes"] for m in _exports(spec)):
            raise ValueError("an ONNX export changed size")
        scorer = OnnxEnsemble.from_spec(spec) if "members" in spec else OnnxClassifier.from_spec(spec, tokenizer_dir)
        return Predictor.from_scorer(scorer, "onnx", precision)
    except FileNotFoundError:
        return None
    except Exception:  # a damaged spec or export (ONNX Runtime cannot read it): deleted, exported again
        with contextlib.suppress(OSError, ValueError, KeyError, TypeError):
            for member in _exports(json.loads(path.read_text(encoding="utf-8"))):
                Path(member["onnx"]).unlink(missing_ok=True)
        path.unlink(missing_ok=True)
        return None


def _export_spec(classifier: Any, folder: Path, precision: str, tokenizer_dirs: list[Path]) -> None:
    """Export (or find) the classifier's ONNX file (an ensemble's: each member's) and write the entry's serving
    spec beside it."""
    from accord.classify.onnx import OnnxClassifier, OnnxEnsemble, ensemble_spec, serving_spec

    if classifier.family == "ensemble":
        spec = ensemble_spec(classifier, OnnxEnsemble.from_classifier(classifier, precision), tokenizer_dirs)
    else:
        spec = serving_spec(classifier, OnnxClassifier.from_classifier(classifier, precision).path)
    write_text_atomic(spec_path(folder, precision), json.dumps(spec, indent=1))


def _cached_load(uri: str, tracking_uri: str | None, phases: Phases, what: str, load: Callable[[Path | None], Any]
                 ) -> Any:
    """``load(entry folder)`` of ``uri`` (``load(None)`` for a URI the cache does not handle). An entry that fails
    to load although its files have the listed sizes is damaged: it is downloaded again and loaded once more."""
    tracking.quiet_libraries()
    with phases.phase("resolve model"):
        ref = resolve(uri, tracking_uri)
        folder = entry(ref, tracking_uri, phases) if ref is not None else None
    with phases.phase(f"load {what}"):
        if folder is None:
            return load(None)
        try:
            return load(folder)
        except tracking.ModelNotFound:
            raise
        except ConfigError as exc:  # a setting refused (``$ACCORD_DECODER``): the files are whole, so they stay
            raise tracking.ModelBroken(f"cannot load {uri}: {exc}") from None
        except Exception:  # any failure of an entry whose files look whole: it is damaged, rebuilt below
            shutil.rmtree(folder, ignore_errors=True)
        try:
            return load(entry(ref, tracking_uri, phases))
        except tracking.ModelNotFound:
            raise
        except Exception as exc:  # a model that cannot load is reported in one line, never as a traceback
            raise tracking.ModelBroken(f"cannot load {uri}: {type(exc).__name__}: {exc}") from None


def _classifier_from(folder: Path, runtime: str, precision: str) -> Predictor:
    """The entry's classifier: from the ONNX serving spec (no torch) where there is one, else loaded and, for a
    MiniLM on ONNX Runtime, exported once, the spec written and the torch model dropped."""
    from accord.classify.config import META_FILE

    saved = _artifact(folder, paths.CLASSIFIER_ARTIFACT, META_FILE)
    tokenizer_dir = saved / "hf" if saved is not None else folder
    fast = _onnx_from_spec(folder, precision, tokenizer_dir) if runtime == "onnx" else None
    if fast is not None:
        return fast
    if saved is None:
        return Predictor(_pyfunc(folder), runtime, precision)
    from accord.classify.ensemble import member_folders
    from accord.classify.families import load_classifier
    from accord.classify.onnx import onnx_servable

    classifier = load_classifier(saved)
    tokenizer_dirs = ([d / "hf" for d in member_folders(saved)] if classifier.family == "ensemble"
                      else [tokenizer_dir])
    if runtime != "onnx" or not onnx_servable(classifier) or not all((d / "tokenizer.json").is_file()
                                                                     for d in tokenizer_dirs):
        return Predictor(classifier, runtime, precision)
    _export_spec(classifier, folder, precision, tokenizer_dirs)
    del classifier
    gc.collect()  # the torch model goes before the ONNX session comes
    fast = _onnx_from_spec(folder, precision, tokenizer_dir)
    if fast is None:
        raise ValueError(f"the ONNX export in {spec_path(folder, precision)} cannot be read")
    return fast


def load_predictor(uri: str, tracking_uri: str | None = None, runtime: str = DEFAULT_RUNTIME,
                   precision: str = DEFAULT_PRECISION,
                   phases: Phases | None = None) -> Predictor:
    """The classifier behind ``uri`` as a :class:`Predictor`, through the model cache where ``uri`` is a registry
    URI: a MiniLM classifier on ONNX Runtime starts without torch once its export and serving spec are cached."""
    phases = phases or Phases()
    runtime = serving_runtime(runtime, precision)

    def load(folder: Path | None) -> Predictor:
        if folder is None:
            return Predictor(tracking.load_model(uri, tracking_uri), runtime, precision)
        return _classifier_from(folder, runtime, precision)

    predictor = _cached_load(uri, tracking_uri, phases, "classifier", load)
    phases.notes.append(f"classifier: {predictor.backend}" + (", torch not imported" if predictor.model is None
                                                                and "torch" not in sys.modules else ""))
    return predictor


class DirectSummariser:
    """An accord summariser loaded from its folder, answering ``predict`` as the registered pyfunc does (a
    ``summary`` column), without importing MLflow or pandas."""

    def __init__(self, summariser: Any) -> None:
        from dataclasses import replace

        self.summariser = summariser
        self.saved_agreement_draws = getattr(getattr(summariser, "g", None), "agreement_draws", None)
        if hasattr(summariser, "keep_prompts"):  # briefs draw for the summaries just written: reuse their passes
            from accord.summarise.model import REUSE_PROMPTS_ENV

            summariser.keep_prompts = os.environ.get(REUSE_PROMPTS_ENV, "1") != "0"
        if hasattr(summariser, "g"):  # a saved model's batch is a speed setting, not part of what it writes
            summariser.g = replace(summariser.g, generate_batch_size=max(summariser.g.generate_batch_size,
                                                                         DECODE_BATCH))

    def predict(self, documents: list[str]) -> dict[str, list[str]]:
        return {"summary": self.summariser.summarise(list(documents))}

    def doubts(self, documents: list[str], summaries: list[str]) -> list[list[str]] | None:
        """Why each summary should not be shown in a brief (the summariser's own checks), or ``None`` where it has
        none beyond the brief's soundness checks."""
        check = getattr(self.summariser, "doubts", None)
        return check(list(documents), list(summaries)) if callable(check) else None


def agreement_draws_problem(draws: int | None) -> str | None:
    """What is wrong with an ``--agreement-draws`` value (None: the summariser's own setting), or None."""
    if draws is not None and not 0 <= draws <= MAX_AGREEMENT_DRAWS:
        return f"--agreement-draws must be between 0 and {MAX_AGREEMENT_DRAWS}, got {draws}"
    return None


def with_agreement_draws(model: Any, draws: int | None) -> Any:
    """``model`` with its briefs' agreement check set to ``draws`` (``None``: as the model was saved); only an accord
    summariser has the check, so on any other the setting is a no-op."""
    inner, saved = getattr(model, "summariser", None), getattr(model, "saved_agreement_draws", None)
    if saved is not None:  # the loaded summariser is shared within the process: set it whichever way each time
        from dataclasses import replace

        inner.g = replace(inner.g, agreement_draws=saved if draws is None else draws)
    return model


def _summariser_from(folder: Path) -> Any:
    """The entry's summariser, loaded once per process and entry: an accord one from its folder, else the pyfunc."""
    key = str(folder)
    if key not in _SUMMARISERS:
        from accord.summarise.config import META_FILE

        saved = _artifact(folder, paths.SUMMARISER_ARTIFACT, META_FILE)
        if saved is None:
            _SUMMARISERS[key] = _pyfunc(folder)
        else:
            from accord.summarise.model import load_summariser as load_saved

            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            _SUMMARISERS[key] = DirectSummariser(load_saved(saved))
    return _SUMMARISERS[key]


def load_summariser(uri: str, tracking_uri: str | None = None, phases: Phases | None = None) -> Any:
    """The summariser behind ``uri`` (``predict(documents)["summary"]``), through the model cache where ``uri`` is
    a registry URI."""
    return _cached_load(uri, tracking_uri, phases or Phases(), "summariser",
                        lambda folder: tracking.load_model(uri, tracking_uri) if folder is None
                        else _summariser_from(folder))
