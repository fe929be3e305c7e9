"""What a batch command tells the person waiting: a progress bar (sentences, or articles with an ETA when briefs make
each article slow) and, under ``--verbose``, its start-up time and where the rest of the time went."""

from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from accord.batch.inputs import STDIN, ErrorLog, iter_records
from accord.system import process_age


class Phases:
    """Wall seconds per named phase (summed over calls), notes on how the models were found, and the start-up time:
    from the process start to the first finished article."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self.notes: list[str] = []
        self.started = process_age()  # the interpreter and the imports, before the command's own work
        self.first_article: float | None = None

    @contextlib.contextmanager
    def phase(self, name: str) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - start

    def timed(self, name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        """``fn`` with its time added to phase ``name``."""
        def call(*args: Any, **kwargs: Any) -> Any:
            with self.phase(name):
                return fn(*args, **kwargs)
        return call

    def timed_iter(self, name: str, items: Iterable[Any]) -> Iterator[Any]:
        """``items``, the time spent producing each added to phase ``name`` (lazy reading and splitting)."""
        it = iter(items)
        while True:
            with self.phase(name):
                item = next(it, _END)
            if item is _END:
                return
            yield item

    def article_done(self) -> None:
        """Mark the first finished article (the start-up time ends there)."""
        if self.first_article is None:
            self.first_article = process_age()

    def report(self) -> list[str]:
        """The ``--verbose`` lines: start-up, the notes, then every phase and the total."""
        first = "no article finished" if self.first_article is None else \
            f"{self.first_article:.2f} s to the first article"
        lines = [f"start-up: {first} (interpreter and imports {self.started:.2f} s)"]
        lines += [f"  {note}" for note in self.notes]
        spent = ", ".join(f"{name} {s:.2f} s" for name, s in self.seconds.items())
        lines.append(f"phases: {spent}; total {process_age():.2f} s since the process started")
        return lines


_END = object()


class TimedModel:
    """A model whose ``predict`` (and a summariser's ``doubts``) time goes to a phase (the summaries inside briefs)."""

    def __init__(self, model: Any, phases: Phases, name: str) -> None:
        self.model, self.predict = model, phases.timed(name, model.predict)
        if callable(getattr(model, "doubts", None)):
            self.doubts = phases.timed(name, model.doubts)


def count_articles(inputs: list[str], unit: str, max_bytes: int) -> int | None:
    """How many articles ``inputs`` hold (a quick pass that reads without splitting), for the ETA; None when stdin is
    one of them (it cannot be read twice)."""
    if STDIN in inputs:
        return None
    count, last = 0, None
    for record in iter_records(inputs, unit, max_bytes, ErrorLog()):
        if unit == "article" or record.article_id != last:
            count, last = count + 1, record.article_id
    return count


def progress_bar(enabled: bool, briefs: bool, total: int | None = None) -> Any:
    """A tqdm bar on stderr: over articles (with an ETA when ``total`` is known) where briefs are written, else over
    sentences; a disabled one when ``enabled`` is false."""
    from tqdm import tqdm

    unit, desc = ("article", "briefs") if briefs else ("sent", "classify")
    return tqdm(total=total, unit=unit, desc=desc, file=sys.stderr, disable=not enabled, dynamic_ncols=True,
                smoothing=0.1)
