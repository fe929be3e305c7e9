"""Abstractive summaries: the model families (``model``), copy-constrained decoding (``decoding``), extractive
baselines, metrics, soundness checks (``guard``), training and evaluation that mirror each other (``train``,
``evaluate``) and the benchmark."""
