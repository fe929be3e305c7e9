"""The label schema."""

from __future__ import annotations

import pytest

from accord.labels import LABELS, LabelError, check_labels, display, from_multi_hot, to_multi_hot


def test_schema() -> None:
    assert LABELS == ("trade", "defence", "technology", "people_to_people", "visas")


def test_check_labels_orders_and_rejects() -> None:
    assert check_labels(["visas", "trade"]) == ["trade", "visas"]
    assert check_labels([]) == []
    with pytest.raises(LabelError, match="other is written as an empty list"):
        check_labels(["other"])
    with pytest.raises(LabelError, match="unknown label"):
        check_labels(["economy"])
    with pytest.raises(LabelError, match="repeated"):
        check_labels(["trade", "trade"])
    with pytest.raises(LabelError, match="list of strings"):
        check_labels("trade")


def test_multi_hot_round_trip() -> None:
    assert to_multi_hot(["technology", "trade"]) == [1, 0, 1, 0, 0]
    assert from_multi_hot([1, 0, 1, 0, 0]) == ["trade", "technology"]
    assert from_multi_hot([0] * 5) == []
    assert display([]) == "other" and display(["trade", "visas"]) == "trade+visas"
    with pytest.raises(LabelError):
        from_multi_hot([1, 0])
