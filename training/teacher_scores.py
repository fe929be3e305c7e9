"""Teacher probabilities for distillation: a registered classifier's scores on the training sentences.

    python training/teacher_scores.py --model models:/accord-classifier/7 --out data/teacher/accord-classifier-v7.jsonl
    python training/teacher_scores.py --model models:/accord-classifier/7 --unlabelled data/unlabelled/articles.jsonl \
        --out data/teacher/accord-classifier-v7-unlabelled.jsonl
    python training/teacher_scores.py --model models:/accord-classifier/4 --out … train_rounds=data/real/round6,…

Scores the **train split only** (curated train + real train; never validation, test or the seeds), or with
``--unlabelled`` the sentences (the project's splitter) of unlabelled reports, leaving out any sentence whose text is
in the labelled corpus or a real test set kept apart (the second, and every round collected to measure only). One
row per sentence ``{"id", "text", "probs": {label: p}}``, and beside it ``<out>.meta.json`` (the model, the dataset
digest, the labels). ``minilm.teacher`` and ``minilm.teacher_unlabelled`` name such files (docs/classifier.md,
distillation).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import mlflow

from accord import paths, storage, tracking
from accord.classify.families import load_classifier
from accord.classify.train import dataset_digest, registered_folder
from accord.config import ConfigError, load_config
from accord.data.datasets import DataConfig, classification_datasets
from accord.data.real import load_real, measures_only
from accord.io import InputError, iter_jsonl, write_jsonl_atomic, write_text_atomic
from accord.labels import LABELS
from accord.text import split_article


def kept_apart_test_sets(data: DataConfig) -> list[Path]:
    """The real test sets outside the corpus: the second (``data.second_test_dir``) and every round collected to
    measure only (the third): a teacher's targets must never carry their text into training."""
    rounds = sorted(Path(data.real_articles_path).parent.glob("round*/articles.jsonl"))
    measured = [a.parent for a in rounds if measures_only(load_real(a, a.with_name("sentences.jsonl"))[0].articles)]
    return [Path(data.second_test_dir), *measured]


def unlabelled(path: Path, dd: dict, data: DataConfig) -> tuple[list[str], list[str]]:
    """Ids and texts of the sentences of unlabelled reports that no labelled split or real test set kept apart holds."""
    known = {t for split in dd.values() for t in split["text"]}
    for folder in kept_apart_test_sets(data):
        known |= {r["text"] for _, r in iter_jsonl(folder / "sentences.jsonl", [])}
    ids, texts = [], []
    for _, report in iter_jsonl(path, []):
        for k, sentence in enumerate(split_article(report["text"])):
            if sentence not in known:
                ids.append(f"{report['article_id']}-{k:02d}")
                texts.append(sentence)
    return ids, texts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True, help="models:/NAME/VERSION of the teacher")
    parser.add_argument("--out", required=True, type=Path, help="the JSONL to write (and <out>.meta.json)")
    parser.add_argument("--unlabelled", type=Path, default=None, help="a JSONL of reports {article_id, text}")
    parser.add_argument("--tracking-uri", default=None)
    parser.add_argument("overrides", nargs="*", help="data settings over training/configs/data.yaml, key=value "
                        "(train_rounds=data/real/round6,data/real/round8: the teacher's own training data)")
    args = parser.parse_args()
    data = load_config(DataConfig, paths.DATA_CONFIG_FILE, args.overrides)  # a bad setting stops before any load
    mlflow.set_tracking_uri(storage.tracking_uri(args.tracking_uri))
    version = tracking.registered_version(args.model)
    teacher = load_classifier(registered_folder(args.model))
    dd = classification_datasets(data)
    ids, texts = unlabelled(args.unlabelled, dd, data) if args.unlabelled else (dd["train"]["id"], dd["train"]["text"])
    started = time.perf_counter()
    probs = teacher.predict_proba(list(texts))
    rows = [{"id": i, "text": t, "probs": {lab: round(float(p), 5) for lab, p in zip(LABELS, row, strict=True)}}
            for i, t, row in zip(ids, texts, probs, strict=True)]
    write_jsonl_atomic(args.out, rows)
    meta = {"model": args.model, "dataset_digest": dataset_digest(dd), "model_trained_on": version.dataset_digest,
            "split": str(args.unlabelled or "train"), "sentences": len(rows), "labels": list(LABELS),
            "seconds": round(time.perf_counter() - started, 1)}
    write_text_atomic(args.out.with_name(args.out.name + ".meta.json"), json.dumps(meta, indent=2) + "\n")
    print(f"{len(rows)} sentences scored by {args.model} in {meta['seconds']} s -> {args.out}")


if __name__ == "__main__":
    try:
        main()
    except (tracking.ModelNotFound, InputError, ConfigError) as exc:  # no such version, a bad line or setting
        raise SystemExit(f"error: {exc}") from None
