"""MLflow conventions: the one place for experiment and model names, tags, registered versions and model URIs.

Default tracking store: ``sqlite:///<project>/mlflow.db`` with artifacts in ``<project>/mlartifacts``;
``MLFLOW_TRACKING_URI`` or ``--tracking-uri`` override it (an ``http://`` server works the same way). Where the store
is and what is wrong with it or with a model URI: :mod:`accord.storage`; who takes ``@champion``:
:mod:`accord.promotion`.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from accord import paths
from accord.config import flatten
from accord.storage import explain_load_error, store_problem, tracking_uri

CLASSIFIER = "accord-classifier"  # experiment and registered-model name
SUMMARISER = "accord-summariser"
CHAMPION = "champion"  # registry alias served by default
# What the promotion gate compares (higher wins); logged under this name on every training run.
GATE_METRIC = {CLASSIFIER: "gate/real_validation_macro_f1_cross_fitted",  # thresholds tuned on the other half
               SUMMARISER: "gate/real_validation_rougeL"}
DATASET_DIGEST_TAG = "accord.dataset_digest"
GATE_DATA_TAG = "accord.gate_data"  # on a version: the digest of the rows its gate score was measured on
GIT_COMMIT_TAG = "mlflow.source.git.commit"
RUN_TYPE_TAG = "accord.run_type"  # training | cv_fold | evaluation
PRECISION_TAG = "accord.training_precision"  # bf16 where a bf16 switch is on and the machine computes it natively
CPU_TAG = "accord.cpu"  # the processor a run ran on (model name, bf16 instructions): timings compare within one
NOTE_TAG = "mlflow.note.content"  # the description the MLflow UI shows on experiments and runs
REFIT_TAG = "accord.refit_of"  # on a version trained again with the gate split in its data: the version it refits
EXPERIMENT_NOTES = {
    CLASSIFIER: "Sentence classifiers: which cooperation categories (trade, defence, technology, people_to_people, "
                "visas) each sentence of a diplomatic-news report mentions. Training runs (tfidf, minilm, setfit, "
                "ensemble) and evaluation runs. The gate metric is gate/real_validation_macro_f1_cross_fitted (real "
                "news from outlets not in training, thresholds tuned on the other half of its articles); the "
                "headline is real_test/macro_f1 (other unseen outlets).",
    SUMMARISER: "Abstractive summarisers of diplomatic-news reports (one sentence: who met whom, where, on what). "
                "Training and evaluation runs. The gate metric is gate/real_validation_rougeL; evaluation runs "
                "compare the champion with lead-1 and TextRank on real test articles, curated reports and XSum.",
}
MODEL_NOTES = {
    CLASSIFIER: "Serves accord classify. Input: sentences (a list, or a DataFrame with a 'text' column). Output: one "
                "row per sentence with 'labels' (the cooperation categories; empty = other) and 'score_<label>' "
                "probabilities. @champion is moved only by the promotion gate (see each version's description).",
    SUMMARISER: "Serves accord summarise and the briefs of accord classify. Input: articles (a list, or a DataFrame "
                "with a 'text' column). Output: a DataFrame with one 'summary' sentence per article. @champion is "
                "moved only by the promotion gate.",
}

# A saved runs-table view per experiment (MLflow "shared view state": an experiment tag the UI loads from
# ``?viewStateShareKey=``): the columns a reviewer compares, best gate score first.
VIEW_KEY = "accord-review"
VIEW_TAG = f"mlflow.sharedViewState.{VIEW_KEY}"
VIEW_COLUMNS = {
    CLASSIFIER: {"metrics": [GATE_METRIC[CLASSIFIER], "real_validation/macro_f1", "real_test/macro_f1",
                             "curated_test/macro_f1", "time/train_s", "time/inference_sentences_per_s"],
                 "params": ["family"], "tags": [RUN_TYPE_TAG, "gate.decision"]},
    SUMMARISER: {"metrics": [GATE_METRIC[SUMMARISER], "real_validation/clean_rate", "rougeL", "clean_rate",
                             "loop_rate", "role_error_rate", "time/train_s"],
                 "params": ["family"], "tags": [RUN_TYPE_TAG, "accord.system", "accord.dataset", "gate.decision"]},
}


def review_view(experiment: str) -> str:
    """The JSON of the saved view for ``experiment``: its columns (the UI's ``type.`name``` keys) and sort order."""
    spec = VIEW_COLUMNS[experiment]
    columns = ["attributes.`Models`"] + [f"{kind}.`{name}`" for kind in ("metrics", "params", "tags")
                                          for name in spec[kind]]
    return json.dumps({"selectedColumns": columns, "orderByKey": f"metrics.`{GATE_METRIC[experiment]}`",
                       "orderByAsc": False, "runsHiddenMode": "SHOW_ALL"})


def champion_uri(model_name: str) -> str:
    """The registry URI served by default: ``models:/<name>@champion``."""
    return f"models:/{model_name}@{CHAMPION}"


CLASSIFIER_URI = champion_uri(CLASSIFIER)
SUMMARISER_URI = champion_uri(SUMMARISER)


class ModelNotFound(Exception):
    """A model URI that cannot be loaded (usually: nothing registered yet)."""


class ModelBroken(ModelNotFound):
    """A model that is there but cannot load (damaged files, a refused setting): unlike nothing registered, never a
    reason to go on without it."""


def quiet_libraries() -> None:
    """No library chatter on a batch command's stderr (weight-loading bars, deprecation notices of transformers and
    peft): stderr is for the command's own progress, warnings and errors."""
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")  # read when transformers is imported
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    warnings.filterwarnings("ignore", category=FutureWarning, module=r"(transformers|peft)\b")
    if "huggingface_hub" in sys.modules:  # it read the environment at import; transformers copies its switch
        from huggingface_hub.utils import disable_progress_bars

        disable_progress_bars()
    if "transformers" in sys.modules:  # already imported: its switches, not the environment, decide
        from transformers.utils import logging as hf_logging

        hf_logging.set_verbosity_error()
        hf_logging.disable_progress_bar()


def load_model(uri: str, explicit_tracking_uri: str | None = None) -> Any:
    """Load a pyfunc model from any MLflow URI; raises :class:`ModelNotFound` with one line of reason (a damaged
    store or model, missing files: :func:`explain_load_error`), never a traceback."""
    import mlflow

    mlflow.set_tracking_uri(tracking_uri(explicit_tracking_uri))
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    quiet_libraries()
    try:
        return mlflow.pyfunc.load_model(uri)
    except Exception as exc:  # MLflow, SQLAlchemy, unpickling and the model's own loader all raise their own types
        raise ModelNotFound(explain_load_error(uri, exc)) from None


def model_kind(uri: str) -> str | None:
    """``classifier`` or ``summariser`` where ``uri`` says so without loading anything (a registered name, a local
    model folder's signature), else None."""
    m = re.match(r"models:/([^/@]+)", uri)
    if m:
        return {CLASSIFIER: "classifier", SUMMARISER: "summariser"}.get(m.group(1))
    import yaml

    mlmodel = Path(uri.removeprefix("file://")) / "MLmodel"
    try:
        meta = yaml.safe_load(mlmodel.read_text(encoding="utf-8"))
        names = {column.get("name") for column in json.loads(meta["signature"]["outputs"])}
    except (OSError, ValueError, KeyError, TypeError, AttributeError, yaml.YAMLError):
        return None
    return "summariser" if "summary" in names else "classifier" if "labels" in names else None


@dataclass(frozen=True)
class RegisteredVersion:
    """A registered model version's files on this machine and the dataset digest of the run that trained it."""

    uri: str
    folder: Path
    dataset_digest: str | None


_VERSIONS: dict[tuple[str, str], RegisteredVersion] = {}  # (store, uri) -> resolved once per process


def registered_version(uri: str) -> RegisteredVersion:
    """``models:/NAME/VERSION`` in the current store: its local folder (a file store's own, else downloaded once)
    and its training run's :data:`DATASET_DIGEST_TAG`. A missing version or store is a :class:`ModelNotFound`."""
    import mlflow

    match = re.fullmatch(r"models:/([^/@\s]+)/(\d+)", uri)
    if match is None:
        raise ModelNotFound(f"{uri}: expected models:/NAME/VERSION (a version number, not an alias: it must not move)")
    store = mlflow.get_tracking_uri()
    if (store, uri) not in _VERSIONS:
        _VERSIONS[store, uri] = _resolve_version(uri, store, *match.groups())
    return _VERSIONS[store, uri]


def _resolve_version(uri: str, store: str, name: str, version: str) -> RegisteredVersion:
    from urllib.parse import unquote, urlparse

    from mlflow import MlflowClient
    from mlflow.artifacts import download_artifacts
    from mlflow.exceptions import MlflowException

    problem = store_problem(store)  # a store that is not there holds no version (and is not created here)
    if problem:
        raise ModelNotFound(f"{uri}: {problem}")
    client = MlflowClient(store)
    try:
        found = client.get_model_version(name, version)
        location = client.get_model_version_download_uri(name, version)
        digest = client.get_run(found.run_id).data.tags.get(DATASET_DIGEST_TAG) if found.run_id else None
    except MlflowException as exc:
        raise ModelNotFound(f"{uri}: not in the store {store} ({exc.message.splitlines()[0]})") from None
    local = Path(unquote(urlparse(location).path)) if location.startswith("file:") else None
    folder = local if local is not None and local.is_dir() else Path(download_artifacts(artifact_uri=location))
    return RegisteredVersion(uri, folder, digest)


def _artifact_location(uri: str, experiment: str) -> str | None:
    """For a local sqlite store, keep artifacts beside the database; servers choose their own."""
    if not uri.startswith("sqlite:///"):
        return None
    db = Path(uri.removeprefix("sqlite:///"))
    return (db.parent / "mlartifacts" / experiment).resolve().as_uri()


def server_command(uri: str | None = None, host: str = "127.0.0.1", port: int = 5000,
                   artifacts: str | Path | None = None) -> list[str]:
    """The ``mlflow server`` command line (UI + REST API) for a store; artifacts of new experiments in ``artifacts``.

    Experiments created by :func:`setup` on a sqlite store keep their own artifact folder beside the database; the
    server reads them there and proxies uploads of experiments created over HTTP to ``artifacts``.
    """
    import sys

    uri = tracking_uri(uri)
    if artifacts is None:
        db = Path(uri.removeprefix("sqlite:///")) if uri.startswith("sqlite:///") else paths.ROOT / "mlflow.db"
        artifacts = db.parent / "mlartifacts"
    return [sys.executable, "-m", "mlflow", "server", "--backend-store-uri", uri, "--host", host, "--port",
            str(port), "--artifacts-destination", str(artifacts), "--workers", "1"]


def setup(experiment: str, uri: str | None = None) -> str:
    """Point MLflow at the store and make sure ``experiment`` exists; returns its id."""
    import mlflow

    uri = tracking_uri(uri)
    mlflow.set_tracking_uri(uri)
    found = mlflow.get_experiment_by_name(experiment)
    if found is not None:
        exp_id = found.experiment_id
    else:
        exp_id = mlflow.create_experiment(experiment, artifact_location=_artifact_location(uri, experiment))
    mlflow.set_experiment(experiment_id=exp_id)
    _describe_experiment(exp_id, experiment, {} if found is None else found.tags)
    return exp_id


def _describe_experiment(exp_id: str, experiment: str, tags: dict[str, str]) -> None:
    """Write the experiment's description and saved review view where they are missing or out of date."""
    from mlflow import MlflowClient

    wanted = {NOTE_TAG: EXPERIMENT_NOTES.get(experiment)}
    wanted[VIEW_TAG] = review_view(experiment) if experiment in VIEW_COLUMNS else None
    for key, value in wanted.items():
        if value and tags.get(key) != value:
            MlflowClient().set_experiment_tag(exp_id, key, value)


def ui_links(base_url: str, uri: str | None = None) -> list[tuple[str, str]]:
    """``(what, address)`` of the MLflow UI pages a reviewer starts from, in its model-training mode (MLflow 3 opens
    in its GenAI mode unless the address says ``workflowType=machine_learning``)."""
    import mlflow

    mlflow.set_tracking_uri(tracking_uri(uri))
    mode = "workflowType=machine_learning"
    links = []
    for name in (CLASSIFIER, SUMMARISER):
        exp = mlflow.get_experiment_by_name(name)
        if exp is not None:
            _describe_experiment(exp.experiment_id, name, exp.tags)  # stores made before the saved views existed
            runs = f"{base_url}/#/experiments/{exp.experiment_id}/runs?{mode}"
            links.append((f"{name} runs, review columns", f"{runs}&viewStateShareKey={VIEW_KEY}"))
    links.append(("registered models (@champion)", f"{base_url}/#/models?{mode}"))
    return links


def log_dataframe_input(df: Any, name: str, context: str, source: str | None = None, targets: str | None = None
                        ) -> Any:
    """Log a DataFrame as a run input (MLflow computes its digest); returns the dataset (metrics can name it)."""
    import warnings

    import mlflow

    with warnings.catch_warnings():  # MLflow registers its local source twice and warns that it is ambiguous
        warnings.simplefilter("ignore", UserWarning)
        dataset = mlflow.data.from_pandas(df, source=source, name=name, targets=targets)
    mlflow.log_input(dataset, context=context)
    return dataset


def model_links(model_uri: str) -> dict[str, str]:
    """Registry version, source run and logged-model id behind a ``models:/`` URI, as tags (empty for others)."""
    import re

    import mlflow

    m = re.fullmatch(r"models:/([^/@]+)(?:@([^/]+)|/(\d+))", model_uri)
    if not m:
        return {}
    client = mlflow.MlflowClient()
    name, alias, number = m.groups()
    try:
        mv = client.get_model_version_by_alias(name, alias) if alias else client.get_model_version(name, number)
    except mlflow.exceptions.MlflowException:
        return {}
    return {"accord.model_name": name, "accord.model_version": str(mv.version), "accord.source_run_id": mv.run_id
            or "", "accord.model_id": getattr(mv, "model_id", "") or ""}


def log_run_preamble(run_type: str, family: str, config: dict[str, Any], extra_tags: dict[str, str] | None = None
                     ) -> None:
    """What every run logs first: run type, family, git commit, the processor, for a training run the arithmetic its
    ``bf16`` switch got on this machine, and extra tags; the config as params and YAML."""
    import mlflow
    import yaml

    from accord.system import bf16_native, cpu_model, machine_threads

    tags = {RUN_TYPE_TAG: run_type, "accord.family": family, GIT_COMMIT_TAG: git_commit() or "unknown",
            CPU_TAG: f"{cpu_model()}, {machine_threads()} threads"}
    if run_type != "evaluation":
        wants_bf16 = any(key.endswith(".bf16") and value is True for key, value in flatten(config).items())
        tags[PRECISION_TAG] = "bf16" if wants_bf16 and bf16_native() else "fp32"
    mlflow.set_tags(tags | (extra_tags or {}))
    mlflow.log_params(flat_params(flatten(config)))
    mlflow.log_text(yaml.safe_dump(config, sort_keys=False, allow_unicode=True), "config.yaml")


def git_commit() -> str | None:
    """The checkout's HEAD commit, if this is a git checkout."""
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=paths.ROOT, capture_output=True, text=True, timeout=5)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None if out.returncode == 0 else None


def flat_params(values: dict[str, Any], prefix: str = "") -> dict[str, str]:
    """Config values as MLflow params (strings, at most 6000 characters each)."""
    return {f"{prefix}{k}": str(v)[:6000] for k, v in values.items()}
