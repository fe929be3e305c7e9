"""Benchmark `accord classify` on this machine: every backend vs the naive pipeline, their F1, peak RSS by input size.

    python evaluation/benchmark_classify.py --tracking-uri sqlite:////tmp/bench_store/mlflow.db
    # -> evaluation/reports/classify_benchmark.{json,md}; needs a MiniLM classifier registered as @champion
    (a thin wrapper over ``accord benchmark classify``)
"""

import sys

from accord.cli import app

if __name__ == "__main__":
    app(["benchmark", "classify", *sys.argv[1:]], prog_name="benchmark_classify.py")
