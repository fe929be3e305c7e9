"""Word-run tables of the name and title checks, hand-checked on one sentence."""

import re

from accord.summarise.chains import RUN, chain_before, successors, trigrams

SOURCE = "Home Affairs Minister Saifuddin met Resources Minister V Shivakumar in the Prime Minister's office."


def _last(text: str) -> re.Match[str]:
    return list(RUN.finditer(text))[-1]


def test_successors_only_across_one_space() -> None:
    table = successors(SOURCE)
    assert table["minister"] == {"saifuddin", "v"}
    assert table["s"] == {"office"}
    assert "s" not in table["minister"]  # "Minister's": an apostrophe, not a space


def test_trigrams_link_possessives_and_spaces() -> None:
    table = trigrams(SOURCE)
    assert table[("affairs", "minister")] == {"saifuddin"}
    assert table[("resources", "minister")] == {"v"}
    assert table[("minister", "s")] == {"office"}  # the possessive "s" links
    assert ("in", "the") in table and ("met", "resources") in table


def test_chain_before_reads_the_two_words_before() -> None:
    assert chain_before("Home Affairs minister V", _last("Home Affairs minister V"), start=True) == ("affairs",
                                                                                                       "minister")
    # joiners that lead the chain do not count: "the Foreign Minister" is a pair
    assert chain_before("met the Foreign", _last("met the Foreign"), start=True) is None
    # a run at the start of a cut context may itself be cut, so it is left out unless the context is the start
    assert chain_before("Affairs Minister V", _last("Affairs Minister V"), start=False) is None
    assert chain_before("Affairs Minister V", _last("Affairs Minister V"), start=True) == ("affairs", "minister")
