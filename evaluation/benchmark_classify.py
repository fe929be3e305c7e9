"""Benchmark `accord classify` on this machine: every backend vs the naive pipeline, their F1, peak RSS by input size.

    python evaluation/benchmark_classify.py --tracking-uri sqlite:////tmp/bench_store/mlflow.db
    # -> evaluation/reports/classify_benchmark.{json,md}; needs a MiniLM classifier registered as @champion
"""

import argparse

from accord.batch import DEFAULT_MODEL
from accord.classify_benchmark import render_markdown, run_benchmark, write_reports

if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=DEFAULT_MODEL, help="a MiniLM classifier URI")
    parser.add_argument("--tracking-uri", default=None)
    parser.add_argument("--n", type=int, default=1000, help="sentences for the throughput rows")
    parser.add_argument("--rss-sizes", default="1000,100000", help="comma-separated sentence counts for peak RSS")
    parser.add_argument("--extra-rss-model", default=None, help="a faster model for large RSS sizes (e.g. tfidf)")
    parser.add_argument("--extra-rss-sizes", default="1000,100000")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved speed rounds (the best one is reported)")
    args = parser.parse_args()

    def sizes(text: str) -> tuple[int, ...]:
        return tuple(int(x) for x in text.split(","))

    result = run_benchmark(args.model, args.tracking_uri, args.n, sizes(args.rss_sizes), args.extra_rss_model,
                           sizes(args.extra_rss_sizes), args.rounds)
    path = write_reports(result)
    print(render_markdown(result))
    print(f"wrote {path}")
