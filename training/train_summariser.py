"""Fine-tune the abstractive summariser, tracked in MLflow (thin wrapper over ``accord train summariser``).

    python training/train_summariser.py -c training/configs/summariser/quick.yaml
    python training/train_summariser.py -c training/configs/summariser/full.yaml --resume
"""

import sys

from accord.cli import app

if __name__ == "__main__":
    app(["train", "summariser", *sys.argv[1:]], prog_name="train_summariser.py")
