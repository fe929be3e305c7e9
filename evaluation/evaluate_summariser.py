"""Compare the summarisers (fine-tuned default, untuned base, lead-1, TextRank) on the test sets.

    python evaluation/evaluate_summariser.py [xsum_limit=N] [systems=lead1,textrank] [--tracking-uri URI]
    -> evaluation/reports/summariser_eval.{json,md}, one MLflow evaluation run per system and dataset
    (a thin wrapper over ``accord evaluate summariser``)
"""

import sys

from accord.cli import app

if __name__ == "__main__":
    app(["evaluate", "summariser", *sys.argv[1:]], prog_name="evaluate_summariser.py")
