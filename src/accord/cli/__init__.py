"""The ``accord`` command: a thin layer over the library (every import is lazy, so ``--help`` is instant).

    accord split ARTICLE.txt ...                          # clean sentences as JSON Lines
    accord data validate | build | card                   # the labelled corpus and its datasets
    accord train classifier -c training/configs/classifier/minilm.yaml minilm.epochs=3 data.seed=7
    accord train summariser -c training/configs/summariser/quick.yaml
    accord evaluate classifier --split seed               # an MLflow evaluation run of any model URI
    accord evaluate summariser xsum_limit=50              # the summarisers side by side on the test sets
    accord benchmark classifier | classify | summariser   # speed reports under evaluation/reports/
    accord classify news/ --out labelled.jsonl --briefs briefs.jsonl --report page.html
    accord summarise news/ --out summaries.jsonl
    accord ui                                             # the MLflow UI over the project's store
"""

from __future__ import annotations

import contextlib
import os
import sys

from accord.cli import benchmark, data, evaluate, review, run, train  # noqa: F401  (registers the commands)
from accord.cli.common import app
from accord.cli.run import classify_cmd, summarise_cmd  # noqa: F401  (the library's entry points)

# Inference commands whose interpreter teardown only frees the loaded model: 1.1 s of a one-document `accord
# summarise` went to freeing the summariser's tensors and tokenizer after its output was written and closed.
QUICK_EXIT = ("classify", "summarise")


def main() -> None:
    """The ``accord`` console script: ``app``; a local ``classify``/``summarise`` then exits without the teardown
    (its outputs are written atomically and closed before, and standard streams are flushed here)."""
    # offline unless the user says otherwise (HF_HUB_OFFLINE=0): set before anything imports huggingface_hub, which
    # reads it once; later, a Hub id out of the cache retried the network for tens of seconds before failing
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    try:
        app()
    except Exception as exc:  # a bug, not bad input (that is named where it is read): one line, no traceback
        if os.environ.get("ACCORD_DEBUG"):
            raise
        print(f"error: unexpected {type(exc).__name__}: {exc} (a bug in accord; ACCORD_DEBUG=1 shows where)",
              file=sys.stderr)
        sys.exit(1)
    except SystemExit as exc:
        argv = sys.argv[1:]
        spark = any("spark" in a for a in argv)  # "--engine spark" and "--engine=spark" alike: Spark exits normally
        quick = argv[:1] and argv[0] in QUICK_EXIT and not spark and isinstance(exc.code, int | None)
        if not quick:
            raise
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()
        os._exit(exc.code or 0)


if __name__ == "__main__":
    main()
