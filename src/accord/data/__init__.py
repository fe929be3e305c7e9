"""The labelled corpus and its datasets: load and validate (``corpus``), split (``datasets``), describe (``card``)."""
