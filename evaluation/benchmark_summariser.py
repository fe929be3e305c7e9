"""Benchmark the summariser families on this machine: training s/step and summarisation articles/s.

    python evaluation/benchmark_summariser.py   # -> evaluation/reports/summariser_benchmark.{json,md}
"""

import json

from accord import paths
from accord.benchmark import render_summariser_markdown, summariser_benchmark
from accord.io import write_text_atomic

if __name__ == "__main__":
    result = summariser_benchmark()
    out = paths.EVALUATION_DIR / "reports"
    write_text_atomic(out / "summariser_benchmark.json", json.dumps(result, indent=2) + "\n")
    write_text_atomic(out / "summariser_benchmark.md", render_summariser_markdown(result))
    print(render_summariser_markdown(result))
