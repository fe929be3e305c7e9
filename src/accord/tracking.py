"""MLflow conventions: the one place for experiment and model names, tags, registered versions and the promotion gate.

Default tracking store: ``sqlite:///<project>/mlflow.db`` with artifacts in ``<project>/mlartifacts``;
``MLFLOW_TRACKING_URI`` or ``--tracking-uri`` override it (an ``http://`` server works the same way). Where the store
is and what is wrong with it or with a model URI: :mod:`accord.storage`.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import subprocess
import sys
import warnings
from collections.abc import Callable, Iterator
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
# Where the gate can pair the two models' predictions (the classifier), a new version must also beat the champion in
# this share of article-bootstrap resamples of the gate split: a gain within the noise of a small split is not
# promoted.
GATE_CONFIDENCE = 0.975  # a 95% paired interval that excludes zero (docs/decisions.md, stop 41)
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


def describe_version(model_name: str, version: str, decision: GateDecision | None, headline: str) -> None:
    """The registered model's description and the version's: what it scored and why the gate promoted it or not."""
    from mlflow import MlflowClient

    client = MlflowClient()
    if model_name in MODEL_NOTES:
        client.update_registered_model(model_name, description=MODEL_NOTES[model_name])
    verdict = "" if decision is None else (f"{'Promoted to @champion' if decision.promoted else 'Not promoted'}: "
                                          f"{decision.reason}. ")
    client.update_model_version(model_name, version, description=f"{verdict}{headline}")


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


@dataclass
class GateDecision:
    """What the promotion gate decided for a new model version."""

    promoted: bool
    new_score: float
    champion_score: float | None
    champion_version: str | None
    metric: str
    reason: str = ""

    def tags(self) -> dict[str, str]:
        """Tags for the version and its run; never empty values (a missing champion is said in words)."""
        return {
            "gate.decision": "promoted" if self.promoted else "rejected",
            "gate.metric": self.metric,
            "gate.new_score": f"{self.new_score:.6f}",
            "gate.champion_score": "none" if self.champion_score is None else f"{self.champion_score:.6f}",
            "gate.champion_version": self.champion_version or "none",
            "gate.reason": self.reason,
        }


@contextlib.contextmanager
def gate_lock(uri: str | None = None) -> Iterator[None]:
    """An exclusive lock per tracking store around read-compare-set of the champion alias, so two promotions at
    once cannot leave the worse model ``@champion``. The lock file sits beside a sqlite store, else in the cache."""
    import fcntl
    import hashlib

    uri = tracking_uri(uri)
    if uri.startswith("sqlite:///"):
        lock = Path(uri.removeprefix("sqlite:///")).with_suffix(".gate.lock")
    else:
        lock = Path.home() / ".cache" / "accord" / f"gate-{hashlib.sha1(uri.encode()).hexdigest()[:12]}.lock"
    lock.parent.mkdir(parents=True, exist_ok=True)
    with open(lock, "a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


# a champion's score, or (score, share of paired resamples the new version wins[, 95% interval of new - champion])
Rescore = Callable[[str], "float | tuple[float, float] | tuple[float, float, tuple[float, float]]"]


def _champion_score(current: Any, metric: str, rescore: Rescore | None) -> tuple[float | None, float | None, Any]:
    """``(score, wins, interval)``: the champion's score on the gate metric, measured again by ``rescore`` on
    today's data where given (so a champion chosen on another split or older data is compared fairly), else read
    from its tags or run; ``wins`` and ``interval`` (of the new version's score minus the champion's): from the
    paired resamples, where ``rescore`` can pair them."""
    import mlflow

    if rescore is not None:
        out = rescore(f"models:/{current.name}/{current.version}")
        return (*out, None)[:3] if isinstance(out, tuple) else (out, None, None)
    raw = current.tags.get("gate.new_score")
    if raw and current.tags.get("gate.metric", metric) == metric:
        return float(raw), None, None
    return (mlflow.get_run(current.run_id).data.metrics.get(metric) if current.run_id else None), None, None


def _gate_reason(metric: str, score: float, current: Any, champion: float | None, wins: float | None,
                 interval: tuple[float, float] | None = None) -> str:
    if current is None:
        return "first version of this model"
    if champion is None:
        return "the champion has no score to beat"
    text = f"{metric} {score:.4f} {'>' if score > champion else '<='} champion v{current.version}'s {champion:.4f}"
    if wins is not None:
        text += (f"; better in {wins:.0%} of article resamples of the gate split (promotion needs "
                 f"{GATE_CONFIDENCE:.1%})")
    if interval is not None:
        text += f"; the difference's 95% interval over them [{interval[0]:+.4f}, {interval[1]:+.4f}]"
    return text


def _champion(client: Any, model_name: str) -> Any:
    """The version ``@champion`` points at, or None (no version is yet)."""
    from mlflow.exceptions import MlflowException

    try:
        return client.get_model_version_by_alias(model_name, CHAMPION)
    except MlflowException:
        return None


def _record(client: Any, model_name: str, version: str, decision: GateDecision, run_id: str | None) -> None:
    """A gate decision as tags on the version and its run; the champion alias moved if promoted."""
    for key, value in decision.tags().items():
        client.set_model_version_tag(model_name, str(version), key, value)
        if run_id:
            client.set_tag(run_id, key, value)
    if decision.promoted:
        client.set_registered_model_alias(model_name, CHAMPION, str(version))


def gate_stand_in(client: Any, version: Any) -> Any:
    """The version the gate scores for ``version``: itself, or for a refit (trained with the gate split in its data,
    so its own scores there are in-sample) the version it refits, followed to one that is not a refit."""
    seen = set()
    while version.tags.get(REFIT_TAG) and version.version not in seen:
        seen.add(version.version)
        version = client.get_model_version(version.name, version.tags[REFIT_TAG])
    return version


def promote_refit(model_name: str, version: str, of: str, scores: tuple[float, float], metric: str,
                  problems: list[str], run_id: str | None = None) -> GateDecision:
    """Move the ``champion`` alias to the refit ``version`` of version ``of`` if ``of`` is the champion (or what the
    gate scores for it) and its checks found no ``problems``; ``scores``: the refit's and ``of``'s on ``metric``,
    the check on data neither trained on. The gate split cannot judge a refit (docs/decisions.md)."""
    from mlflow import MlflowClient

    client = MlflowClient()
    client.set_model_version_tag(model_name, str(version), REFIT_TAG, str(of))
    with gate_lock():
        current = _champion(client, model_name)
        champion = str(current.version) if current else None
        of_champion = current is not None and str(of) in {champion, str(gate_stand_in(client, current).version)}
        problems = [*([] if of_champion else [f"v{of} is not the {CHAMPION} (v{champion}): a refit replaces only "
                                              "its own version"]), *problems]
        if problems:
            reason = f"refit of v{of}, not promoted: {'; '.join(problems)}"
        else:
            reason = (f"refit of the {CHAMPION} v{of} with the gate split in its training data, promoted by the refit "
                      f"rule: {metric} {scores[0]:.4f} against v{of}'s {scores[1]:.4f}, no check failed")
        decision = GateDecision(not problems, scores[0], scores[1], champion, metric, reason)
        _record(client, model_name, version, decision, run_id)
    return decision


def promote_if_better(model_name: str, version: str, score: float, run_id: str | None = None,
                      metric: str | None = None, rescore: Rescore | None = None) -> GateDecision:
    """Move the ``champion`` alias to ``version`` only if ``score`` beats the champion's (the first version wins)
    and, where ``rescore`` pairs the two models, does so in :data:`GATE_CONFIDENCE` of the resamples.

    Under :func:`gate_lock`. The decision, both scores and the reason are written as tags on the new version and
    on its run.
    """
    from mlflow import MlflowClient

    client = MlflowClient()
    metric = metric or GATE_METRIC.get(model_name, "score")
    with gate_lock():
        current = _champion(client, model_name)
        same = current is not None and str(current.version) == str(version)
        scored = None if current is None or same else gate_stand_in(client, current)
        champion_score, wins, interval = (None, None, None) if scored is None else \
            _champion_score(scored, metric, rescore)
        promoted = current is None or champion_score is None or (
            score > champion_score and (wins is None or wins >= GATE_CONFIDENCE))
        reason = (f"version {version} is already the {CHAMPION}" if same
                  else _gate_reason(metric, score, scored, champion_score, wins, interval))
        if scored is not None and scored.version != current.version:
            reason += f" (v{scored.version} stands in for the {CHAMPION} v{current.version}, its refit)"
        decision = GateDecision(promoted, score, champion_score, str(current.version) if current else None, metric,
                                reason)
        _record(client, model_name, version, decision, run_id)
    return decision
