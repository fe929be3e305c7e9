"""Accord: turn bilateral diplomatic news into labelled, summarised, reviewable knowledge.

Library API (setfit style): ``accord.text`` splits articles into clean sentences, ``accord.labels`` holds the
label schema, ``accord.corpus`` loads and validates the labelled corpus, ``accord.dataset`` builds the Hugging
Face ``DatasetDict``s. The ``accord`` command (``accord.cli``) drives them.
"""

__version__ = "0.1.0"
