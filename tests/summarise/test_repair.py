"""Titles repaired from the source: only a flagged person's phrase changes, to the source's own words."""

from __future__ import annotations

from accord.summarise.repair import mentions, repair_titles
from accord.summarise.roles import role_errors

SOURCE = ("Indian President Ram Nath Kovind met Portuguese Prime Minister Antonio Costa in Lisbon on Monday. "
          "Kovind said trade would grow, and Saudi Crown Prince Mohammed bin Salman sent a message.")


def test_a_flagged_title_phrase_becomes_the_sources_and_nothing_else_changes() -> None:
    wrong = "Portuguese President Ram Nath Kovind met Prime Minister Antonio Costa in Lisbon, discussing trade."
    assert role_errors(wrong, SOURCE)
    fixed = repair_titles(wrong, SOURCE)
    assert fixed == "Indian President Ram Nath Kovind met Prime Minister Antonio Costa in Lisbon, discussing trade."
    assert role_errors(fixed, SOURCE) == []


def test_a_phrase_inside_the_sentence_and_a_name_with_a_joiner() -> None:
    wrong = "Antonio Costa met Indian Crown Prince Mohammed bin Salman and President Ram Nath Kovind."
    fixed = repair_titles(wrong, SOURCE)
    assert fixed == "Antonio Costa met Saudi Crown Prince Mohammed bin Salman and President Ram Nath Kovind."


def test_sound_summaries_and_names_without_a_phrase_are_left_alone() -> None:
    sound = "Indian President Ram Nath Kovind met Portuguese Prime Minister Antonio Costa in Lisbon."
    assert repair_titles(sound, SOURCE) == sound
    bare = "Ram Nath Kovind of Portugal met Antonio Costa."  # flagged, but no phrase before the name to replace
    assert role_errors(bare, SOURCE) and repair_titles(bare, SOURCE) == bare
    untitled = "Prime Minister Kim Lee met Antonio Costa."  # a person the source never titles: nothing to copy
    assert repair_titles(untitled, "Kim Lee and Antonio Costa met in Lisbon.") == untitled


def test_mentions_give_the_phrase_and_the_name_as_offsets_into_the_text() -> None:
    text = "On Monday, the Vietnamese Foreign Minister Bùi Thanh Sơn met Mr. Park."
    found = {" ".join(name): text[a:b] for name, a, b in mentions(text)}
    assert found["bùi thanh sơn"] == "Vietnamese Foreign Minister "
    assert found["park"] == ""  # a full stop ends the phrase
