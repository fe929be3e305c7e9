"""Evaluate any classifier model URI on a split or labelled JSONL (thin wrapper over ``accord evaluate classifier``).

    python evaluation/evaluate_classifier.py --model-uri models:/accord-classifier@champion --split seed
"""

import sys

from accord.cli import app

if __name__ == "__main__":
    app(["evaluate", "classifier", *sys.argv[1:]], prog_name="evaluate_classifier.py")
