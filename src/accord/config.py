"""Configs: dataclasses with a help text and bounds per field, filled from YAML files and ``key=value`` overrides.

    cfg = load_config(ClassifierConfig, "training/configs/classifier/minilm.yaml", ["minilm.epochs=3", "data.seed=7"])

A config may hold sections (fields whose type is another config dataclass, written as nested YAML mappings and
``section.key=value`` overrides). A plain ``key`` names a top-level field, else the one section field of that name
(``epochs=3`` means ``minilm.epochs=3``); a name found in several sections goes to the config's ``family`` section,
else it must be written in full. Values are parsed as
YAML scalars and must fit the field's type (``seed=1.5`` or ``C=abc`` are errors, an int is accepted for a float);
bounds and choices given with :func:`arg` are checked. Every problem is a :class:`ConfigError` raised before a run
starts, naming the file or override.
"""

from __future__ import annotations

import dataclasses
import difflib
import os
import typing
from functools import cache
from pathlib import Path
from typing import Any, TypeVar

import yaml

T = TypeVar("T")


class ConfigError(ValueError):
    """A config file or override that does not fit the config's fields."""


def arg(default: Any = dataclasses.MISSING, help: str = "", *, choices: tuple[Any, ...] | None = None,
        low: float | None = None, high: float | None = None, factory: Any = None) -> Any:
    """A config field with its help text, optional choices and inclusive bounds (checked by :func:`check`)."""
    meta = {"help": help, "choices": choices, "low": low, "high": high}
    if factory is not None:
        return dataclasses.field(default_factory=factory, metadata=meta)
    return dataclasses.field(default=default, metadata=meta)


@cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _sections(cls: type) -> dict[str, type]:
    hints = _hints(cls)
    return {f.name: hints[f.name] for f in dataclasses.fields(cls) if dataclasses.is_dataclass(hints[f.name])}


def _coerce(kind: Any, value: Any, where: str) -> Any:
    """``value`` as the field type ``kind``, or a ConfigError saying what was expected."""
    if kind is bool:
        if isinstance(value, bool):
            return value
    elif kind is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    elif kind is float:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
        if isinstance(value, str):  # YAML reads "1e-4" (no dot) as a string
            try:
                return float(value)
            except ValueError:
                pass
    elif kind is str:
        if value is None:
            return ""
        if isinstance(value, str | int | float) and not isinstance(value, bool):
            return str(value)
    else:
        return value
    raise ConfigError(f"{where}: expected {kind.__name__}, got {value!r}")


def check(cfg: Any, prefix: str = "") -> None:
    """Raise ConfigError for the first value outside its field's choices or bounds (sections included)."""
    for f in dataclasses.fields(cfg):
        value = getattr(cfg, f.name)
        if dataclasses.is_dataclass(value):
            check(value, f"{prefix}{f.name}.")
            continue
        meta = f.metadata
        name = f"{prefix}{f.name}"
        if meta.get("choices") is not None and value not in meta["choices"]:
            raise ConfigError(f"{name}: must be one of {list(meta['choices'])}, got {value!r}")
        if meta.get("low") is not None and value < meta["low"]:
            raise ConfigError(f"{name}: must be at least {meta['low']}, got {value!r}")
        if meta.get("high") is not None and value > meta["high"]:
            raise ConfigError(f"{name}: must be at most {meta['high']}, got {value!r}")
    validate = getattr(cfg, "validate", None)
    if callable(validate):
        try:
            validate()
        except ValueError as exc:
            raise ConfigError(f"{prefix or ''}{exc}") from None


def resolve_key(cls: type, key: str, prefer: str | None = None) -> list[str]:
    """The field path of ``key`` in ``cls``: ``["minilm", "epochs"]`` for ``epochs`` or ``minilm.epochs``; a plain
    name found in several sections goes to ``prefer`` (the config's family) when that is one of them."""
    head, dot, rest = key.partition(".")
    sections = _sections(cls)
    names = {f.name for f in dataclasses.fields(cls)}
    if dot:
        if head not in sections:
            raise ConfigError(f"unknown section {head!r}{_did_you_mean(head, sorted(sections))}; sections: "
                              f"{sorted(sections)}")
        return [head, *resolve_key(sections[head], rest)]
    if key in names and key not in sections:
        return [key]
    owners = [s for s, sub in sections.items() if key in {f.name for f in dataclasses.fields(sub)}]
    if prefer in owners:
        owners = [prefer]
    if len(owners) == 1:
        return [owners[0], *resolve_key(sections[owners[0]], key)]
    if owners:
        raise ConfigError(f"{key!r} is in sections {owners}: write it in full, e.g. {owners[0]}.{key}")
    known = sorted(names - set(sections)) + [f"{s}.{f.name}" for s, sub in sections.items()
                                             for f in dataclasses.fields(sub)]
    raise ConfigError(f"unknown setting {key!r}{_did_you_mean(key, known)}; known: {known}")


def _did_you_mean(word: str, candidates: list[str]) -> str:
    """A hint naming the candidate closest to a mistyped name (compared without its section), or nothing."""
    by_name: dict[str, str] = {}
    for candidate in candidates:
        by_name.setdefault(candidate.rpartition(".")[2], candidate)
    close = difflib.get_close_matches(word, list(by_name), n=1)
    return f" (did you mean {by_name[close[0]]!r}?)" if close else ""


def flatten(mapping: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """A nested mapping as ``{"section.key": value}``."""
    out: dict[str, Any] = {}
    for key, value in mapping.items():
        if isinstance(value, dict):
            out |= flatten(value, f"{prefix}{key}.")
        else:
            out[f"{prefix}{key}"] = value
    return out


def from_dict(cls: type[T], values: dict[str, Any], where: str = "config", strict: bool = True) -> T:
    """Build ``cls`` from defaults plus ``values`` (nested or flat keys); types and bounds checked.

    ``strict=False`` skips unknown keys: a model saved by an older version (with settings since removed) loads.
    """
    nested: dict[str, Any] = {}
    flat = flatten(values)
    prefer = flat.get("family") if isinstance(flat.get("family"), str) else None
    for key, value in flat.items():
        try:
            path = resolve_key(cls, key, prefer)
        except ConfigError as exc:
            if not strict:
                continue
            raise ConfigError(f"{where}: {exc}") from None
        node = nested
        for part in path[:-1]:
            node = node.setdefault(part, {})
        node[path[-1]] = value
    cfg = _build(cls, nested, where)
    check(cfg)
    return cfg


def _build(cls: type[T], values: dict[str, Any], where: str, prefix: str = "") -> T:
    kwargs = {}
    sections = _sections(cls)
    for name, value in values.items():
        if name in sections:
            kwargs[name] = _build(sections[name], value, where, f"{prefix}{name}.")
        else:
            kwargs[name] = _coerce(_hints(cls)[name], value, f"{where}: {prefix}{name}")
    return cls(**kwargs)


def read_yaml(path: str | os.PathLike[str]) -> dict[str, Any]:
    """A YAML mapping from ``path``; a missing, unreadable or malformed file is a ConfigError naming it."""
    p = Path(path)
    try:
        loaded = yaml.safe_load(p.read_text(encoding="utf-8")) or {}
    except FileNotFoundError:
        raise ConfigError(f"{p}: no such config file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{p}: cannot read: {exc}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{p}: not valid YAML: {exc}") from None
    if not isinstance(loaded, dict):
        raise ConfigError(f"{p}: expected a mapping of settings")
    return loaded


def load_config(cls: type[T], path: str | os.PathLike[str] | None = None, overrides: list[str] | None = None,
                section_files: dict[str, str | os.PathLike[str] | None] | None = None) -> T:
    """Build ``cls`` from its defaults, then ``section_files`` (``{"data": "training/configs/data.yaml"}``: a
    file for one section), then the YAML file at ``path``, then ``key=value`` overrides."""
    values: dict[str, Any] = {}
    for section, file in (section_files or {}).items():
        if file is not None:
            values |= flatten(read_yaml(file), f"{section}.")
    where = "config"
    if path is not None:
        where = str(path)
        values |= flatten(read_yaml(path))
    for item in overrides or []:
        key, sep, raw = item.partition("=")
        key = key.strip().removeprefix("--")
        if not sep or not key:
            raise ConfigError(f"override {item!r}: expected key=value")
        try:
            resolve_key(cls, key, values.get("family") if isinstance(values.get("family"), str) else None)
        except ConfigError as exc:
            raise ConfigError(f"override {item!r}: {exc}") from None
        try:
            value = yaml.safe_load(raw) if raw.strip() else ""
        except yaml.YAMLError:
            raise ConfigError(f"override {item!r}: not a valid value") from None
        values[key] = raw.strip() if isinstance(value, dict | list) else value  # "a: b" is text here, not a mapping
    return from_dict(cls, values, where if not overrides else f"{where} + overrides")


def to_dict(cfg: Any) -> dict[str, Any]:
    """The config as a nested dict (for YAML dumps and saved models)."""
    return dataclasses.asdict(cfg)


def flat_items(cfg: Any, prefix: str = "") -> dict[str, Any]:
    """The config as ``{"section.key": value}`` (for MLflow params)."""
    return flatten(to_dict(cfg), prefix)


def describe(cls: type, prefix: str = "") -> list[tuple[str, Any, str]]:
    """``(key, default, help)`` for every field of ``cls`` and its sections, for ``--help`` listings and docs."""
    rows = []
    for f in dataclasses.fields(cls):
        kind = _hints(cls)[f.name]
        if dataclasses.is_dataclass(kind):
            rows += describe(kind, f"{prefix}{f.name}.")
            continue
        default = f.default if f.default is not dataclasses.MISSING else f.default_factory()  # type: ignore[misc]
        rows.append((f"{prefix}{f.name}", default, f.metadata.get("help", "")))
    return rows
