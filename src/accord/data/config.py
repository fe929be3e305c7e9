"""The ``data`` section of every training config: where the data is and how it is split.

Kept apart from :mod:`accord.data.datasets` (which imports Hugging Face ``datasets``, about 3 s) so that a command
that only needs a saved model's config (``accord summarise``, ``accord classify``) does not pay for it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from accord import paths
from accord.config import arg


@dataclass
class DataConfig:
    """Where the data is and how it is split (the ``data`` section of every training config)."""

    seed: int = arg(42, "seed of every split: the same seed gives the same splits")
    validation_fraction: float = arg(0.15, "share of curated reports in validation", low=0.01, high=0.5)
    test_fraction: float = arg(0.15, "share of curated reports in test", low=0.01, high=0.5)
    sentences_path: str = arg(str(paths.SENTENCES_FILE), "labelled curated + seed sentences (JSONL)")
    reports_path: str = arg(str(paths.REPORTS_FILE), "curated reports with reference summaries (JSONL)")
    seeds_dir: str = arg(str(paths.SEEDS_DIR), "folder of the real seed reports (.txt)")
    xsum_path: str = arg(str(paths.XSUM_FILE), "XSum rows (JSONL); rows 801+ are test, never trained or tuned on")
    xsum_validation_size: int = arg(80, "XSum rows 1-800 held out for validation", low=1, high=799)
    real_articles_path: str = arg(str(paths.REAL_ARTICLES_FILE), "published reports (JSONL, data/real/)")
    real_sentences_path: str = arg(str(paths.REAL_SENTENCES_FILE), "their labelled sentences (JSONL, data/real/)")
    real_validation_fraction: float = arg(0.15, "share of real articles in real_validation (whole outlets)",
                                          low=0.05, high=0.4)
    real_test_fraction: float = arg(0.2, "share of real articles in real_test (whole outlets)", low=0.05, high=0.4)
    train_rounds: str = arg("", "labelled collection rounds kept apart from data/real/ (comma-separated folders, "
                            "each with articles.jsonl and sentences.jsonl) whose reports join real_train; checked as "
                            "corpus reports are, and one from a validation or test outlet is refused")
    real_train_fraction: float = arg(1.0, "share of real_train articles trained on, drawn by article with `seed` "
                                     "(the rest are left unused): learning curves", low=0.05, high=1.0)
    train_other_share: float = arg(1.0, "share of the label-less (other) training sentences kept, drawn by sentence "
                                   "with `seed`; labelled ones are all kept, and no evaluation split changes: fewer "
                                   "steps for the same labels (docs/decisions.md: `make run` time)", low=0.05,
                                   high=1.0)
    real_splits_path: str = arg(str(paths.REAL_SPLITS_FILE), "frozen real_validation/real_test articles (JSON); "
                                "used when made with this seed and these fractions; empty: split afresh")
    second_test_dir: str = arg(str(paths.REAL_SECOND_TEST_DIR), "a later collection round kept out of the corpus "
                               "(articles.jsonl, sentences.jsonl): the second real test set, never trained or tuned on")


def train_round_dirs(cfg: DataConfig) -> list[Path]:
    """The folders ``train_rounds`` names, as given (from the working directory), else under the project root."""
    return paths.project_paths(cfg.train_rounds, Path.is_dir)


def real_split_settings(cfg: DataConfig) -> dict[str, float]:
    """The settings a frozen split must have been made with to be used."""
    return {"seed": cfg.seed, "real_validation_fraction": cfg.real_validation_fraction,
            "real_test_fraction": cfg.real_test_fraction}
