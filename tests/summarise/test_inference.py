"""The summariser's decoding methods (``accord.summarise.inference``): the names callers use stay on
``NeuralSummariser``, the sliced path's gate, and left padding (the paths themselves are tested in test_generate,
test_rerank and test_gemma3)."""

from __future__ import annotations

import pytest

from accord.summarise.config import GenerationArguments
from accord.summarise.inference import Inference, left_padded, sliced_decoding
from accord.summarise.model import NeuralSummariser

CALLED = ("summarise", "doubts", "draws", "_draw_rows", "_generate_sliced", "_n_best", "_finish", "_prompt_cache",
          "_generate_causal", "_generate_seq2seq", "_processors", "_lexicon", "_decode_bf16", "_generate_kwargs")


@pytest.mark.parametrize("name", CALLED)
def test_the_summariser_decodes_through_inferences_methods(name: str) -> None:
    assert getattr(NeuralSummariser, name) is getattr(Inference, name)


def test_sliced_decoding_needs_word_constraints_greedy_and_a_common_vocabulary() -> None:
    assert sliced_decoding(GenerationArguments(), [1, 2])
    assert not sliced_decoding(GenerationArguments(), [])
    for over in ({"sliced_head": False}, {"copy_words": False}, {"num_beams": 2}):
        assert not sliced_decoding(GenerationArguments(**over), [1, 2])


def test_left_padded_rows_end_at_the_last_column() -> None:
    ids, mask = left_padded([[5, 6, 7], [8]], pad_id=0)
    assert ids.tolist() == [[5, 6, 7], [0, 0, 8]] and mask.tolist() == [[1, 1, 1], [0, 0, 1]]
