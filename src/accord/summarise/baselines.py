"""Extractive summarisation baselines over the project's own sentence splitter: lead-1 and TextRank.

Both are deterministic and need no training; they share the summariser interface ``summarise(list[str])``.
"""

from __future__ import annotations

import numpy as np

from accord.text import split_article


class Lead1Summariser:
    """The first sentence of the cleaned article."""

    name = "lead1"

    def summarise(self, documents: list[str]) -> list[str]:
        out = []
        for doc in documents:
            sentences = split_article(doc)
            out.append(sentences[0] if sentences else "")
        return out


class TextRankSummariser:
    """TextRank: PageRank over a TF-IDF cosine-similarity graph of the article's sentences; the top sentence."""

    name = "textrank"

    def __init__(self, damping: float = 0.85, iterations: int = 50) -> None:
        self.damping, self.iterations = damping, iterations

    def rank(self, sentences: list[str]) -> np.ndarray:
        """PageRank score of each sentence."""
        from sklearn.feature_extraction.text import TfidfVectorizer

        n = len(sentences)
        if n <= 2:
            return np.linspace(1.0, 0.5, n)
        try:
            tfidf = TfidfVectorizer(stop_words="english").fit_transform(sentences)
        except ValueError:  # only stop words
            return np.linspace(1.0, 0.5, n)
        sim = (tfidf @ tfidf.T).toarray()
        np.fill_diagonal(sim, 0.0)
        rows = sim.sum(axis=1, keepdims=True)
        transition = np.divide(sim, rows, out=np.full_like(sim, 1.0 / n), where=rows > 0)
        scores = np.full(n, 1.0 / n)
        for _ in range(self.iterations):
            scores = (1 - self.damping) / n + self.damping * transition.T @ scores
        return scores

    def summarise(self, documents: list[str]) -> list[str]:
        out = []
        for doc in documents:
            sentences = split_article(doc)
            if not sentences:
                out.append("")
                continue
            scores = self.rank(sentences)
            out.append(sentences[int(np.argmax(scores))])  # ties: the earliest sentence
        return out
