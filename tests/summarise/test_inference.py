"""The summariser's decoding helpers (``accord.summarise.inference``): the sliced path's gate and left padding (the
decoding paths themselves are tested in test_generate, test_rerank and test_gemma3)."""

from __future__ import annotations

from accord.summarise.config import GenerationArguments
from accord.summarise.inference import left_padded, sliced_decoding


def test_sliced_decoding_needs_word_constraints_greedy_and_a_common_vocabulary() -> None:
    assert sliced_decoding(GenerationArguments(), [1, 2])
    assert not sliced_decoding(GenerationArguments(), [])
    for over in ({"sliced_head": False}, {"copy_words": False}, {"num_beams": 2}):
        assert not sliced_decoding(GenerationArguments(**over), [1, 2])


def test_left_padded_rows_end_at_the_last_column() -> None:
    ids, mask = left_padded([[5, 6, 7], [8]], pad_id=0)
    assert ids.tolist() == [[5, 6, 7], [0, 0, 8]] and mask.tolist() == [[1, 1, 1], [0, 0, 1]]
