"""Benchmark the summariser families on this machine: training s/step and summarisation articles/s.

    python evaluation/benchmark_summariser.py   # -> evaluation/reports/summariser_benchmark.{json,md}
    (a thin wrapper over ``accord benchmark summariser``)
"""

import sys

from accord.cli import app

if __name__ == "__main__":
    app(["benchmark", "summariser", *sys.argv[1:]], prog_name="benchmark_summariser.py")
