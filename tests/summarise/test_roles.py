"""The role check: who the source says a person is, and a summary that says otherwise."""

from __future__ import annotations

import pytest

from accord.summarise.roles import people, role_errors

SOURCE = ("NEW DELHI - Indian President Ram Nath Kovind met Portuguese President Marcelo Rebelo de Sousa on Friday. "
          "Prime Minister Phạm Minh Chính also received Woo Won Shik, Speaker of the National Assembly of the "
          "Republic of Korea, and Chairman of the Bắc Ninh provincial People's Committee Lê Minh Tuấn.")


@pytest.mark.parametrize(("summary", "expected"), [
    ("Indian President Ram Nath Kovind met Portuguese President Marcelo Rebelo de Sousa.", []),
    ("Portuguese President Ram Nath Kovind met Marcelo Rebelo de Sousa.",
     ["Ram Nath Kovind: given 'portugal', the source gives ['india']"]),
    ("Vietnamese foreign minister Phạm Minh Chính met Speaker Woo Won Shik.",
     ["Phạm Minh Chính: the source never calls them 'foreign'"]),
    ("President Phạm Minh Chính met Korean Speaker Woo Won Shik.",
     ["Phạm Minh Chính: the source never calls them 'president'"]),
    ("Prime Minister Phạm Minh Chính met Japanese Speaker Woo Won Shik.",
     ["Woo Won Shik: given 'japan', the source gives ['korea']"]),
    ("Bắc Ninh People's Committee Chairman Lê Minh Tuấn met Korean Speaker Woo.", []),  # a title phrase, reordered
    ("Vietnamese Prime Minister Phạm Minh Chính met Speaker Woo.", []),  # no country given in the source: unchecked
])
def test_role_errors(summary: str, expected: list[str]) -> None:
    assert role_errors(summary, SOURCE) == expected


def test_people_reads_titles_before_and_after_a_name() -> None:
    found = {name: (titles, countries) for name, titles, countries in people(SOURCE)}
    assert found[("ram", "nath", "kovind")] == ({"president"}, {"india"})
    assert found[("woo", "won", "shik")][1] == {"korea"} and "speaker" in found[("woo", "won", "shik")][0]
    assert "chairman" in found[("lê", "minh", "tuấn")][0]
    assert found[("new", "delhi")] == (set(), set())  # any two-word run is a candidate; with nothing to check
    assert ("friday",) not in found  # one capitalised word with no title or country is not
