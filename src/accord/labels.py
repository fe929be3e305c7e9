"""The cooperation label schema: the one place that names the labels and what they mean.

Multi-label: a sentence carries every category whose cooperation it substantively mentions; a sentence with none
is ``other``, stored as an empty label list. The full guideline with examples is ``data/LABELS.md``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

LABELS: tuple[str, ...] = ("trade", "defence", "technology", "people_to_people", "visas")
OTHER = "other"  # name shown for a sentence with no label; never stored in a record's label list
SCORE_COLUMNS: tuple[str, ...] = tuple(f"score_{name}" for name in LABELS)  # a classifier's probability columns

DEFINITIONS: dict[str, str] = {
    "trade": "trade volumes and targets, tariffs, FTAs/CEPAs, investment and FDI, enterprises and business "
    "communities, supply chains, market access, ODA and loans, economic and infrastructure projects, energy and "
    "resource deals, farm exports",
    "defence": "defence and military ties, defence industry, arms, exercises, maritime and regional security, coast "
    "guard, peacekeeping, police and public security, transnational crime, cybercrime, counter-terrorism",
    "technology": "science, technology and innovation, digital transformation, AI, semiconductors, telecoms and "
    "next-generation networks, data centres, space, nuclear and other energy technology, technology transfer, "
    "high-tech human-resources training, start-ups",
    "people_to_people": "education, students, scholarships, culture, tourism, sport, youth, friendship "
    "organisations, locality and sister-city ties, people-to-people exchanges, support for the community living "
    "in the other country",
    "visas": "visa procedures and simplification, visa exemption or waiver, e-visas, entry and residence permits, "
    "work permits and labour-mobility schemes",
    OTHER: "political trust, party/state/parliament relations, high-level visits, ceremonies, thanks, multilateral "
    "forums, general friendship or development statements",
}


class LabelError(ValueError):
    """A label that is not in the schema, or a malformed label list."""


def check_labels(labels: object) -> list[str]:
    """Return ``labels`` as a list in schema order, or raise :class:`LabelError` saying what is wrong."""
    if not isinstance(labels, list) or not all(isinstance(x, str) for x in labels):
        raise LabelError(f"labels must be a list of strings, got {labels!r}")
    unknown = sorted(set(labels) - set(LABELS))
    if unknown:
        hint = " (other is written as an empty list)" if OTHER in unknown else ""
        raise LabelError(f"unknown label(s) {unknown}{hint}; allowed: {list(LABELS)}")
    if len(set(labels)) != len(labels):
        raise LabelError(f"repeated label in {labels!r}")
    return [x for x in LABELS if x in labels]


def to_multi_hot(labels: Iterable[str]) -> list[int]:
    """Encode a label list as a 0/1 vector in :data:`LABELS` order."""
    present = set(labels)
    return [int(name in present) for name in LABELS]


def from_multi_hot(vector: Sequence[int | bool | float]) -> list[str]:
    """Decode a 0/1 vector in :data:`LABELS` order to a label list (empty = other)."""
    if len(vector) != len(LABELS):
        raise LabelError(f"expected {len(LABELS)} values, got {len(vector)}")
    return [name for name, v in zip(LABELS, vector, strict=True) if v]


def display(labels: Sequence[str]) -> str:
    """Human-readable form: ``trade+technology`` or ``other``."""
    return "+".join(labels) if labels else OTHER
