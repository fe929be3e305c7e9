"""Two registered classifier versions on real validation, as the gate compares a candidate with the champion.

    python evaluation/paired_validation.py models:/accord-classifier/9 models:/accord-classifier/8

Prints each version's real-validation macro-F1 (its own thresholds), their difference with its 95% interval over
1,000 paired resamples of whole articles, and the share of those resamples in which the first is better (with
``--cross-fit``, the promotion gate's statistic since stop 43), for two versions neither of which need be the
champion (a recipe against another trained on the same data). ``--split real_test`` gives the same statistic on real
test, and ``--data FILE`` on a labelled JSONL kept apart (a sentence's article is its id before the last "-"),
only to report a decision already made on validation (each model's test is read once); nothing is written.

    python evaluation/paired_validation.py models:/accord-classifier/3 models:/accord-classifier/2 --split real_test

``--cross-fit`` adds the same statistic with thresholds tuned on the other half of the articles, averaged over 20
seeded halvings, as the gate computes it (each model's own thresholds were tuned on validation itself);
``--cache FOLDER`` keeps each model's probabilities there (keyed by model and texts), for a rerun on new gold;
``--log`` records the comparison as an evaluation run of the classifier experiment (its numbers as metrics).
"""

from __future__ import annotations

import argparse
import hashlib
from pathlib import Path

import mlflow
import numpy as np

from accord import paths, promotion, storage, tracking
from accord.classify.families import load_classifier
from accord.classify.metrics import (
    CROSS_FIT_HALVINGS,
    apply_thresholds,
    cross_fitted_difference,
    multilabel_metrics,
    paired_bootstrap_difference,
)
from accord.classify.train import registered_folder
from accord.config import load_config
from accord.data.datasets import GATE_SPLIT, DataConfig, classification_datasets, split_arrays
from accord.io import InputError
from accord.labels import to_multi_hot


def _rows(args: argparse.Namespace) -> tuple[str, list[str], np.ndarray, list[str]]:
    """(name, texts, gold, article of each sentence) of the split or the file the comparison is on."""
    if args.data:
        from accord.classify.evaluate import read_labelled

        rows, errors = read_labelled(args.data)
        if errors:
            raise errors[0]
        if not rows:
            raise InputError(args.data, "no labelled sentences")
        y = np.array([to_multi_hot(r["labels"]) for r in rows])
        return args.data, [r["text"] for r in rows], y, [r["id"].rsplit("-", 1)[0] for r in rows]
    split = classification_datasets(load_config(DataConfig, paths.DATA_CONFIG_FILE, []))[args.split]
    _, texts, y = split_arrays(split)
    return args.split.replace("_", " "), texts, y, list(split["article_id"])


def _probs(uri: str, texts: list[str], cache: str | None) -> tuple[np.ndarray, np.ndarray]:
    """A registered classifier's probabilities for ``texts`` and its thresholds, read from ``cache`` when there
    (keyed by the version's folder in its store, not its name: another store's v4 is another model)."""
    folder = registered_folder(uri)
    key = hashlib.sha256("\n".join([str(folder), *texts]).encode("utf-8")).hexdigest()[:16]
    path = Path(cache) / f"{key}.npz" if cache else None
    if path is not None and path.exists():
        saved = np.load(path)
        return saved["probs"], saved["thresholds"]
    clf = load_classifier(folder)
    probs, thresholds = clf.predict_proba(texts), np.asarray(clf.thresholds)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".partial.npz")
        np.savez(partial, probs=probs, thresholds=thresholds)
        partial.replace(path)  # whole or absent: an interrupted run leaves no half-written cache
    return probs, thresholds


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("new", help="models:/NAME/VERSION counted as the candidate")
    parser.add_argument("old", help="models:/NAME/VERSION it is compared with")
    parser.add_argument("--tracking-uri", default=None)
    parser.add_argument("--split", default=GATE_SPLIT, choices=[GATE_SPLIT, "real_test"],
                        help="the gate's split (default), or real test to report a decision already made")
    parser.add_argument("--data", default=None, help="a labelled JSONL kept apart instead of a split")
    parser.add_argument("--cross-fit", action="store_true", help="also with thresholds tuned on the other half")
    parser.add_argument("--cache", default=None, help="a folder keeping each model's probabilities")
    parser.add_argument("--log", action="store_true", help="also log the comparison as an MLflow evaluation run")
    return parser.parse_args()


def _log(args: argparse.Namespace, name: str, scores: list[float], d: dict, c: dict | None) -> None:
    """The comparison as an evaluation run of the classifier experiment, reviewable beside the training runs."""
    tracking.setup(tracking.CLASSIFIER, args.tracking_uri)
    with mlflow.start_run(run_name=f"compare {args.new.rsplit('/', 1)[-1]} vs {args.old.rsplit('/', 1)[-1]} "
                                  f"on {name}"):
        tracking.log_run_preamble("evaluation", "comparison", {"new": args.new, "old": args.old, "data": name,
                                                                "cross_fit": bool(c)})
        metrics = {"new_macro_f1": scores[0], "old_macro_f1": scores[1]} | {f"paired/{k}": v for k, v in d.items()}
        mlflow.log_metrics(metrics | {f"cross_fitted/{k}": v for k, v in (c or {}).items()})


def main() -> None:
    args = _arguments()
    mlflow.set_tracking_uri(storage.tracking_uri(args.tracking_uri))
    name, texts, y, articles = _rows(args)
    probs, preds, scores = [], [], []
    for uri in (args.new, args.old):
        p, thresholds = _probs(uri, texts, args.cache)
        probs.append(p)
        preds.append(apply_thresholds(p, thresholds))
        scores.append(multilabel_metrics(y, preds[-1])["macro_f1"])
        print(f"{uri}: {name} macro-F1 {scores[-1]:.4f}")
    d = paired_bootstrap_difference(y, preds[0], preds[1], articles)
    bar = f" (the gate asks {promotion.GATE_CONFIDENCE:.1%})" if args.split == GATE_SPLIT and not args.data else ""
    print(f"{args.new} minus {args.old}: {d['diff']:+.4f} [{d['low']:+.4f}, {d['high']:+.4f}] (95%, paired article "
          f"resamples); better in {d['wins']:.1%} of them{bar}")
    c = cross_fitted_difference(y, probs[0], probs[1], articles) if args.cross_fit else None
    if c is not None:
        print(f"cross-fitted thresholds (mean of {CROSS_FIT_HALVINGS} halvings): {c['new']:.4f} against "
              f"{c['old']:.4f}, {c['diff']:+.4f} [{c['low']:+.4f}, {c['high']:+.4f}]; better in {c['wins']:.1%} "
              "of resamples")
    if args.log:
        _log(args, name, scores, d, c)


if __name__ == "__main__":
    try:
        main()
    except (tracking.ModelNotFound, InputError) as exc:  # a version not in the store, a bad corpus line: one line
        raise SystemExit(f"error: {exc}") from None
    except (OSError, ValueError) as exc:  # an unusable --cache folder or a damaged cached file: one line, named
        raise SystemExit(f"error: the probability cache: {exc}") from None
