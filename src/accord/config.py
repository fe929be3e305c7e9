"""Config files (YAML) with ``key=value`` command-line overrides, loaded into dataclasses.

    cfg = load_config(DataConfig, "training/configs/data.yaml", ["seed=7"])

Unknown keys are errors; override values are parsed as YAML scalars (``lr=2e-5``, ``cv=5``, ``tags=[a,b]``).
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import Any, TypeVar

import yaml

T = TypeVar("T")


class ConfigError(ValueError):
    """A config file or override that does not fit the config's fields."""


def _coerce(cls: type, name: str, value: Any) -> Any:
    field = {f.name: f for f in dataclasses.fields(cls)}[name]
    kind = field.type if isinstance(field.type, str) else getattr(field.type, "__name__", str(field.type))
    if kind == "float" and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if kind == "str" and value is not None and not isinstance(value, str):
        return str(value)
    return value


def load_config(cls: type[T], path: str | os.PathLike[str] | None = None, overrides: list[str] | None = None) -> T:
    """Build ``cls`` from its defaults, then the YAML file at ``path``, then ``key=value`` overrides."""
    names = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    values: dict[str, Any] = {}
    if path is not None:
        p = Path(path)
        try:
            loaded = yaml.safe_load(p.read_text(encoding="utf-8")) or {}
        except FileNotFoundError:
            raise ConfigError(f"{p}: no such config file") from None
        except yaml.YAMLError as exc:
            raise ConfigError(f"{p}: not valid YAML: {exc}") from None
        if not isinstance(loaded, dict):
            raise ConfigError(f"{p}: expected a mapping of settings")
        unknown = sorted(set(loaded) - names)
        if unknown:
            raise ConfigError(f"{p}: unknown setting(s) {unknown}; known: {sorted(names)}")
        values.update(loaded)
    for item in overrides or []:
        key, sep, raw = item.partition("=")
        key = key.strip().removeprefix("--")
        if not sep or key not in names:
            raise ConfigError(f"override {item!r}: expected key=value with key in {sorted(names)}")
        values[key] = yaml.safe_load(raw) if raw.strip() else ""
    values = {k: _coerce(cls, k, v) for k, v in values.items()}
    return cls(**values)


def as_params(cfg: Any) -> dict[str, Any]:
    """The config as a flat ``{name: value}`` dict (for MLflow params and YAML dumps)."""
    return dataclasses.asdict(cfg)
