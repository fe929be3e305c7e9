"""Freeze the real corpus's validation and test splits into data/real/splits.json.

Run once, before articles are added to a corpus whose test split has been read: the seeded split by outlet
(`accord.data.real.split_by_outlet`) is recomputed from the whole corpus, so new articles would otherwise move
validation and test articles around. With the file in place every new article trains (see `apply_frozen`).

    .venv/bin/python data/real/scripts/freeze_splits.py
"""

from __future__ import annotations

import json
from pathlib import Path

from accord.data.datasets import DataConfig, load_real_corpus, real_split_settings
from accord.data.real import freeze, split_by_outlet


def main() -> None:
    cfg = DataConfig()
    real = load_real_corpus(cfg)
    assignment = split_by_outlet(real, cfg.real_validation_fraction, cfg.real_test_fraction, cfg.seed)
    frozen = freeze(assignment, real_split_settings(cfg))
    Path(cfg.real_splits_path).write_text(json.dumps(frozen, indent=1) + "\n", encoding="utf-8")
    print({name: len(ids) for name, ids in frozen.items() if name != "made_with"}, "->", cfg.real_splits_path)


if __name__ == "__main__":
    main()
