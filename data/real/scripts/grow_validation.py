"""Add the articles of a later collection round to the frozen real validation split (data/real/splits.json).

A round collected from outlets and agencies that are in no split yet may go to validation instead of training, so
that the promotion gate and the thresholds rest on more reports; the test split never changes. Refuses an article
whose outlet or agency already has an article in training or test (it would put that outlet on both sides).

    .venv/bin/python data/real/scripts/grow_validation.py r4_      # the round's _collect/ file prefix
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from accord.data.datasets import DataConfig, load_real_corpus

HERE = Path(__file__).resolve().parents[1]


def main(prefix: str) -> None:
    cfg = DataConfig()
    real = load_real_corpus(cfg)
    frozen = json.loads(Path(cfg.real_splits_path).read_text(encoding="utf-8"))
    pinned = set(frozen["real_validation"]) | set(frozen["real_test"])
    urls = {json.loads(line)["url"] for f in sorted((HERE / "_collect").glob(f"{prefix}*.jsonl"))
            for line in f.read_text(encoding="utf-8").splitlines() if line.strip()}
    new = {aid for aid, a in real.articles.items() if a["url"] in urls}
    groups = real.groups()
    elsewhere = {groups[aid] for aid in real.articles if aid not in new and aid not in frozen["real_validation"]}
    clashes = sorted(aid for aid in new if groups[aid] in elsewhere)
    if clashes:
        sys.exit(f"{len(clashes)} articles share an outlet with training or test, e.g. {clashes[:5]}")
    frozen["real_validation"] = sorted(set(frozen["real_validation"]) | (new - pinned))
    Path(cfg.real_splits_path).write_text(json.dumps(frozen, indent=1) + "\n", encoding="utf-8")
    print(f"{len(new - pinned)} articles added: real validation now {len(frozen['real_validation'])} articles")


if __name__ == "__main__":
    main(sys.argv[1])
