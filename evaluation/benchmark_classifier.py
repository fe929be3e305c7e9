"""Benchmark the classifier families on this machine: training wall time and inference sentences/s.

    python evaluation/benchmark_classifier.py   # -> evaluation/reports/classifier_benchmark.{json,md}
"""

from accord.benchmark import render_markdown, run_benchmark, write_reports

if __name__ == "__main__":
    result = run_benchmark()
    path = write_reports(result)
    print(render_markdown(result))
    print(f"wrote {path}")
