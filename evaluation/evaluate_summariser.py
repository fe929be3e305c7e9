"""Compare the summarisers (fine-tuned default, untuned base, lead-1, TextRank) on the test sets.

    python evaluation/evaluate_summariser.py [--xsum-limit N] [--model-uri URI] [--tracking-uri URI]
    -> evaluation/reports/summariser_eval.{json,md}, one MLflow evaluation run per system and dataset
"""

import argparse

from accord.summary_eval import evaluate_summarisers, render_markdown, write_reports

if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--xsum-limit", type=int, default=0, help="score only the first N XSum test rows")
    parser.add_argument("--model-uri", default="models:/accord-summariser@champion")
    parser.add_argument("--tracking-uri", default=None)
    parser.add_argument("--systems", default="default,base,lead1,textrank")
    args = parser.parse_args()
    result = evaluate_summarisers(tuple(args.systems.split(",")), model_uri=args.model_uri,
                                  xsum_limit=args.xsum_limit, uri=args.tracking_uri)
    path = write_reports(result)
    print(render_markdown(result))
    print(f"wrote {path}")
