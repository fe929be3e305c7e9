"""Where runs and models are stored, and what is wrong with a store or a model URI, told in one line.

No MLflow here: the store's sqlite file is probed directly (locked, damaged, missing), and ``--model`` URIs are
checked before anything loads (a model is code that runs on load). :mod:`accord.tracking` and the commands use it.
"""

from __future__ import annotations

import contextlib
import os
import re
import sqlite3
from pathlib import Path

from accord import paths


def tracking_uri(explicit: str | None = None) -> str:
    """``explicit`` if given, else ``MLFLOW_TRACKING_URI``, else the project's sqlite store."""
    return explicit or os.environ.get("MLFLOW_TRACKING_URI") or f"sqlite:///{paths.ROOT / 'mlflow.db'}"


STORE_BUSY_TRIES = 3  # a locked sqlite store (another process writing) is tried this many times,
STORE_BUSY_WAIT_S = 5.0  # waiting this long each time (sqlite's busy timeout) before it is reported as locked
_LOCKED = re.compile(r"database is locked|database table is locked|SQLITE_BUSY", re.IGNORECASE)
_DAMAGED = re.compile(r"malformed|not a database|file is encrypted|disk I/O error|no such table", re.IGNORECASE)
# a model file cut short or overwritten: what joblib, pickle, numpy, zip and JSON readers say about it
_DAMAGED_FILE = re.compile(r"\bEOF\b|Unpickling|pickle data|truncat|BadZipFile|JSONDecodeError|corrupt", re.IGNORECASE)
NO_STORE = "there is no MLflow store at"  # how a missing sqlite store is named (commands add what to run)
WEB_SCHEMES = ("http://", "https://", "ftp://")  # --model from a web address: refused (download, check, trust)
STORE_SCHEMES = ("models:/", "runs:/", "mlflow-artifacts:/")  # model URIs resolved through the tracking store


def sqlite_file(uri: str) -> Path | None:
    """The database file of a ``sqlite:///`` URI (None for any other store)."""
    return Path(uri.removeprefix("sqlite:///")) if uri.startswith("sqlite:///") else None


def locked_message(db: str | Path) -> str:
    return (f"the MLflow store {db} is locked by another process (a training run writing to it?); wait for that "
            "process to finish and run again")


def damaged_message(db: str | Path, reason: object) -> str:
    return (f"the MLflow store {db} is damaged or not an MLflow database ({reason}); restore it from a backup or "
            "point --tracking-uri at another store")


def store_problem(uri: str | None = None, must_exist: bool = True) -> str | None:
    """What keeps a command from using the store, or None. A sqlite store's file must exist for a command that only
    reads it (``must_exist``: a mistyped ``--tracking-uri sqlite:///x.db`` would otherwise create an empty store),
    be an SQLite database with MLflow's tables, and answer within :data:`STORE_BUSY_TRIES` waits. A server is not
    probed here."""
    uri = tracking_uri(uri)
    db = sqlite_file(uri)
    if db is None or (not must_exist and not db.exists()):
        return None
    if not db.is_file():
        return f"{NO_STORE} {db} ({uri}); check --tracking-uri or MLFLOW_TRACKING_URI"
    for attempt in range(STORE_BUSY_TRIES):
        try:
            with contextlib.closing(sqlite3.connect(f"{db.resolve().as_uri()}?mode=ro", uri=True,
                                                    timeout=STORE_BUSY_WAIT_S)) as con:
                tables = {row[0] for row in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        except sqlite3.Error as exc:
            if _LOCKED.search(str(exc)) and attempt + 1 < STORE_BUSY_TRIES:
                continue
            return locked_message(db) if _LOCKED.search(str(exc)) else damaged_message(db, exc)
        return None if not tables or "experiments" in tables else damaged_message(db, "no MLflow tables in it")
    return locked_message(db)


def store_error_message(exc: BaseException, uri: str | None = None) -> str | None:
    """One line for an exception that comes from the tracking store (locked, damaged), else None."""
    text = str(getattr(exc, "message", None) or exc)
    db = sqlite_file(tracking_uri(uri)) or tracking_uri(uri)
    if _LOCKED.search(text):
        return locked_message(db)
    if type(exc).__module__.startswith(("sqlalchemy", "sqlite3")) or _DAMAGED.search(text):
        return damaged_message(db, text.splitlines()[0] if text else type(exc).__name__)
    return None


def explain_load_error(uri: str, exc: BaseException) -> str:
    """``cannot load URI: ...`` in one line, saying what is wrong and what to do where that is known."""
    text = str(getattr(exc, "message", None) or exc).strip()
    first = text.splitlines()[0] if text else type(exc).__name__
    store = store_error_message(exc)
    if store is not None:
        reason = store
    elif "No such artifact" in first or isinstance(exc, FileNotFoundError):
        reason = (f"the model's files are missing from the store's artifact folder ({first}; deleted or moved?); "
                  "restore the folder or register the model again (`make run`)")
    elif isinstance(exc, EOFError | ImportError) or _DAMAGED_FILE.search(f"{type(exc).__name__}: {first}"):
        reason = (f"the model's files are damaged or incomplete ({type(exc).__name__}: {first}); register the model "
                  "again or restore its folder")
    else:
        reason = first if "MlflowException" in type(exc).__name__ or isinstance(exc, OSError) else \
            f"{type(exc).__name__}: {first}"
    return f"cannot load {uri}: {reason}"


def model_uri_problem(uri: str, explicit_tracking_uri: str | None = None, trusted: bool = False) -> str | None:
    """Why ``--model URI`` is refused, or None. A registered model is code (its pickles run on load and its bundled
    code goes first on ``sys.path``): store URIs (``models:/``, ``runs:/``) are loaded from the store the user chose;
    a web address never; a local path or any other scheme only inside the store's artifact folder or with
    ``--trust-model``."""
    if uri.startswith(STORE_SCHEMES):
        return None
    if uri.lower().startswith(WEB_SCHEMES):
        return (f"--model {uri}: models are not loaded from web addresses (a model is code that runs on load); "
                "download it, check it, and pass its folder with --trust-model, or register it in your store")
    if trusted:
        return None
    path = Path(uri.removeprefix("file://")).resolve() if "://" not in uri or uri.startswith("file://") else None
    if path is not None and any(path.is_relative_to(root) for root in _artifact_roots(explicit_tracking_uri)):
        return None
    return (f"--model {uri} is outside the project's MLflow store; a model is code (its pickles run when it loads): "
            "pass --trust-model if you trust where it came from")


def _artifact_roots(explicit_tracking_uri: str | None) -> list[Path]:
    """The folders whose models count as the store's own: ``mlartifacts`` (and ``mlruns``) beside the store."""
    db = sqlite_file(tracking_uri(explicit_tracking_uri))
    bases = {paths.ROOT, *([db.parent] if db is not None else [])}
    return [(base / name).resolve() for base in bases for name in ("mlartifacts", "mlruns")]
