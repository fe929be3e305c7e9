"""The local cache of registered model versions: how ``accord classify`` and ``accord summarise`` find a champion in
milliseconds and load it from disk instead of from the MLflow store.

- **One alias lookup**, read straight from a sqlite store's tables (milliseconds, without importing MLflow); any
  other store, or a sqlite schema this code does not know, goes through ``MlflowClient``.
- **A local cache entry** per model version: ``$ACCORD_MODEL_CACHE`` (default ``models/cache``)
  ``/<name>/v<version>-<digest>/``, the digest taken over the store, version, source and run, so a moved alias (another
  version), another store or a re-created version never meets an old entry. An entry is downloaded into a temp
  folder with a manifest of its files' sizes and renamed into place; one whose manifest or files do not match is
  ignored, deleted and built again. The newest :data:`KEEP_ENTRIES` entries per model are kept.

What is loaded from an entry, and how, is :mod:`accord.batch.models`.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import sqlite3
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from unittest import mock

from accord import paths, storage, tracking
from accord.batch.progress import Phases
from accord.io import STALE_TEMP_S  # an interrupted download's age too

CACHE_ENV = "ACCORD_MODEL_CACHE"
MANIFEST = "entry.json"
PROGRESS_ENV = "MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR"
KEEP_ENTRIES = 3  # entries kept per registered model (most recently used); older ones go when a new one is built
REGISTRY_URI = re.compile(r"models:/([^/@]+)(?:@([^/]+)|/(\d+))")  # by alias or by version number: cached


def cache_root() -> Path:
    """``$ACCORD_MODEL_CACHE``, else ``models/cache`` under the project root."""
    return Path(os.environ.get(CACHE_ENV) or paths.MODELS_DIR / "cache")


@dataclass(frozen=True)
class ModelRef:
    """A registered model version as the cache knows it."""

    uri: str
    name: str
    version: str
    digest: str

    def folder(self) -> Path:
        return cache_root() / re.sub(r"[^\w.-]", "_", self.name) / f"v{self.version}-{self.digest}"


def resolve(uri: str, tracking_uri: str | None = None) -> ModelRef | None:
    """The version behind a ``models:/name@alias`` or ``models:/name/N`` URI (None for any other URI: not cached);
    raises :class:`~accord.tracking.ModelNotFound` when the store has no such version."""
    m = REGISTRY_URI.fullmatch(uri)
    if not m:
        return None
    store = storage.tracking_uri(tracking_uri)
    name, alias, number = m.groups()
    row = _sqlite_version(store, uri, name, alias, number) if store.startswith("sqlite:///") else None
    if row is None:
        row = _client_version(store, uri, name, alias, number)
    digest = hashlib.sha256("\n".join([_store_key(store), name, *row]).encode()).hexdigest()[:12]
    return ModelRef(uri, name, row[0], digest)


def _store_key(store: str) -> str:
    """The store as the cache keys it: a sqlite file by its absolute path, so ``sqlite:///mlflow.db`` and the same
    file spelt absolutely share one entry."""
    db = storage.sqlite_file(store)
    return f"sqlite:///{db.resolve()}" if db else store


def _sqlite_version(store: str, uri: str, name: str, alias: str | None, number: str | None
                    ) -> tuple[str, ...] | None:
    """``(version, source, run_id, creation_time)`` read from a sqlite store's registry tables, read-only; None
    where the tables are not what this code expects (the caller asks MLflow instead)."""
    db = Path(store.removeprefix("sqlite:///"))
    if not db.is_file():
        raise tracking.ModelNotFound(f"cannot load {uri}: there is no MLflow store at {db}")
    where = ("JOIN registered_model_aliases a ON a.name = v.name AND a.version = v.version "
             "WHERE a.name = ? AND a.alias = ?") if alias else "WHERE v.name = ? AND v.version = ?"
    try:
        with contextlib.closing(sqlite3.connect(f"{db.resolve().as_uri()}?mode=ro", uri=True)) as con:
            row = con.execute(f"SELECT v.version, v.source, v.run_id, v.creation_time FROM model_versions v {where}",
                              (name, alias if alias else int(number or 0))).fetchone()
    except sqlite3.Error:
        return None
    if row is None:
        what = f"no version has the alias {alias!r}" if alias else f"there is no version {number}"
        raise tracking.ModelNotFound(f"cannot load {uri}: {what} (registered model {name!r})")
    return tuple("" if x is None else str(x) for x in row)


def _client_version(store: str, uri: str, name: str, alias: str | None, number: str | None) -> tuple[str, ...]:
    """The same through ``MlflowClient`` (any store MLflow supports)."""
    import mlflow
    from mlflow.exceptions import MlflowException

    client = mlflow.MlflowClient(tracking_uri=store, registry_uri=store)
    try:
        mv = client.get_model_version_by_alias(name, alias) if alias else client.get_model_version(name, number)
    except MlflowException as exc:
        raise tracking.ModelNotFound(f"cannot load {uri}: {exc.message.splitlines()[0]}") from None
    return tuple("" if x is None else str(x) for x in (mv.version, mv.source, mv.run_id, mv.creation_timestamp))


def intact(folder: Path) -> bool:
    """Whether a cache entry is whole: its manifest reads and every file it lists has the size it lists."""
    try:
        files = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))["files"]
        return bool(files) and all((folder / rel).stat().st_size == size for rel, size in files.items())
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return False


def entry(ref: ModelRef, tracking_uri: str | None = None, phases: Phases | None = None) -> Path:
    """The local folder of ``ref``'s files: the cached entry when it is whole, else downloaded again."""
    folder = ref.folder()
    hit = intact(folder)
    if hit:
        with contextlib.suppress(OSError):
            os.utime(folder)  # most recently used: kept by the pruning
    else:
        _build(ref, folder, tracking_uri)
    if phases is not None:
        phases.notes.append(f"{ref.uri} -> version {ref.version}: " + (
            "local cache hit" if hit else "downloaded into the local cache") + f" ({folder})")
    return folder


def _build(ref: ModelRef, folder: Path, tracking_uri: str | None) -> None:
    """Download the version into a temp folder beside ``folder``, write its manifest, rename it into place."""
    import mlflow
    from mlflow.exceptions import MlflowException

    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}-", dir=folder.parent))
    try:
        mlflow.set_tracking_uri(storage.tracking_uri(tracking_uri))
        with mock.patch.dict(os.environ, {PROGRESS_ENV: "false"}):  # no progress bar per file on stderr
            local = Path(mlflow.artifacts.download_artifacts(artifact_uri=f"models:/{ref.name}/{ref.version}",
                                                             dst_path=str(tmp / "download")))
        local.rename(tmp / "model")
        if not (tmp / "model" / "MLmodel").is_file():  # the store's folder was deleted or moved: nothing came
            raise FileNotFoundError(f"no MLmodel file for version {ref.version} in the store's artifact folder")
        files = {p.relative_to(tmp).as_posix(): p.stat().st_size for p in sorted(tmp.rglob("*")) if p.is_file()}
        manifest = {"uri": ref.uri, "name": ref.name, "version": ref.version, "digest": ref.digest, "files": files}
        (tmp / MANIFEST).write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
        if intact(folder):  # a parallel run made it meanwhile: keep theirs (it may be loading from it)
            return
        if folder.exists():  # a damaged entry: moved aside, then replaced
            aside = folder.with_name(f".{folder.name}-old-{os.getpid()}")
            os.replace(folder, aside)
            shutil.rmtree(aside, ignore_errors=True)
        os.replace(tmp, folder)
    except (MlflowException, OSError) as exc:  # registered, but its files cannot be had
        raise tracking.ModelBroken(storage.explain_load_error(ref.uri, exc)) from None
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    _prune(folder)


def _prune(keep: Path) -> None:
    """Delete all but the newest :data:`KEEP_ENTRIES` entries of the model, and interrupted downloads."""
    now = time.time()
    entries = sorted((p for p in keep.parent.iterdir() if p.is_dir() and not p.name.startswith(".")),
                     key=lambda p: p.stat().st_mtime, reverse=True)
    stale = [p for p in keep.parent.iterdir() if p.name.startswith(".") and now - p.stat().st_mtime > STALE_TEMP_S]
    for old in [p for p in entries if p != keep][KEEP_ENTRIES - 1:] + stale:
        shutil.rmtree(old, ignore_errors=True)
