"""Benchmark the classifier families on this machine: training wall time and inference sentences/s.

    python evaluation/benchmark_classifier.py   # -> evaluation/reports/classifier_benchmark.{json,md}
    (a thin wrapper over ``accord benchmark classifier``)
"""

import sys

from accord.cli import app

if __name__ == "__main__":
    app(["benchmark", "classifier", *sys.argv[1:]], prog_name="benchmark_classifier.py")
