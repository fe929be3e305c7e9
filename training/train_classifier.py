"""Train a sentence classifier, tracked in MLflow (thin wrapper over ``accord train classifier``).

    python training/train_classifier.py -c training/configs/classifier/tfidf.yaml
    python training/train_classifier.py -c training/configs/classifier/minilm.yaml epochs=3 --cv 5
"""

import sys

from accord.cli import app

if __name__ == "__main__":
    app(["train", "classifier", *sys.argv[1:]], prog_name="train_classifier.py")
