"""One summary out of a document's n-best candidates (``generation.n_best``).

The greedy decoder cannot revise a word once written, so a wrong role or a loop it starts stays in the summary and
the brief falls back to the extract. Drawing a few more candidates and choosing among them gives the checks of
:mod:`accord.summarise.guard` something to choose from:

- ``checks``: the greedy summary unless the soundness checks flag it; then the sound draw the model scores highest
  (mean token log-probability). Sound greedy summaries are never changed.
- ``mbr``: minimum Bayes risk: the sound candidate that agrees most with all the others (mean ROUGE-L), the
  consensus; a claim only one draw makes is less likely to be kept.

The same draws also tell when not to trust a summary that passes the checks (:func:`doubts`): where the model's
own draws say something else (low ROUGE-L agreement), the greedy summary was one guess among several, and on real
validation such summaries carried most of the serious errors the checks miss (docs/summariser.md).
"""

from __future__ import annotations

from collections.abc import Callable

from accord.summarise.guard import soundness_problems
from accord.summarise.metrics import rouge_scorer

SELECTIONS = ("checks", "mbr")  # the values of generation.n_best_select


def _rouge_l(a: str, b: str) -> float:
    """ROUGE-L F1 alone: the metrics' other types (rougeLsum is a second LCS) would double the cost per pair."""
    return rouge_scorer(("rougeL",)).score(a, b)["rougeL"].fmeasure


def consensus(candidates: list[str]) -> list[float]:
    """Each candidate's mean ROUGE-L F1 against the others (0 for a lone candidate)."""
    n = len(candidates)
    if n < 2:
        return [0.0] * n
    pair = [[0.0] * n for _ in range(n)]
    for i in range(n):
        for j in range(i + 1, n):
            pair[i][j] = pair[j][i] = _rouge_l(candidates[i], candidates[j])
    return [sum(row) / (n - 1) for row in pair]


def choose(candidates: list[str], scores: list[float], source: str, how: str = "checks") -> int:
    """The index of the candidate to keep; ``candidates[0]`` is the greedy one, ``scores`` their mean token
    log-probabilities. Where every candidate is flagged, the greedy one stays (and the brief falls back)."""
    if how not in SELECTIONS:
        raise ValueError(f"n_best_select must be one of {', '.join(SELECTIONS)}, not {how!r}")
    sound = [i for i, c in enumerate(candidates) if c.strip() and not soundness_problems(c, source)]
    if how == "checks":
        if not sound or sound[0] == 0:
            return 0
        return max(sound, key=lambda i: (scores[i], -i))
    if not sound:
        return 0
    agree = consensus(candidates)
    return max(sound, key=lambda i: (agree[i], scores[i], -i))


def agreement(summary: str, draws: list[str]) -> float:
    """Mean ROUGE-L F1 between a summary and the model's draws for the same document."""
    return sum(_rouge_l(summary, d) for d in draws) / len(draws) if draws else 1.0


def doubts(summaries: list[str], sources: list[str], draw: Callable[[list[str]], list[list[str]]] | None,
           minimum: float) -> list[list[str]]:
    """Per summary, the soundness problems; for the non-empty summaries they pass, where ``draw`` gives draws of
    their sources, an unstable summary's reason (agreement below ``minimum``). Only those sources are drawn."""
    found = [soundness_problems(summary, source) for summary, source in zip(summaries, sources, strict=True)]
    todo = [j for j, problems in enumerate(found) if draw is not None and not problems and summaries[j].strip()]
    for j, drawn in zip(todo, draw([sources[j] for j in todo]) if todo else [], strict=True):
        score = agreement(summaries[j], drawn)
        if drawn and score < minimum:
            found[j] = [f"unstable: the model's own {len(drawn)} draws agree {score:.2f} with it (< {minimum:.2f})"]
    return found
