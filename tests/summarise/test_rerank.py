"""n-best decoding: which candidate is kept, and draws that are seeded per document."""

from __future__ import annotations

import functools
from pathlib import Path

import pytest

from accord.config import ConfigError
from accord.summarise.config import GenerationArguments, SummariserConfig
from accord.summarise.rerank import choose, consensus
from tests.conftest import make_config
from tests.summarise.test_generate import DOCS, _summariser

SOURCE = ("Indian External Affairs Minister S Jaishankar met Omani Foreign Minister Sayyid Badr Albusaidi in Muscat "
          "on Monday. The two ministers discussed trade and defence cooperation.")
SOUND = "Indian External Affairs Minister S Jaishankar met Sayyid Badr Albusaidi in Muscat, discussing trade."
WRONG_ROLE = "Omani Foreign Minister S Jaishankar met Sayyid Badr Albusaidi in Muscat, discussing trade."
LOOP = "Jaishankar met Albusaidi, discussing trade, defence, trade, defence, trade and defence."


def test_checks_keeps_a_sound_greedy_summary_even_when_a_draw_scores_higher() -> None:
    other = "Jaishankar met Sayyid Badr Albusaidi in Muscat on Monday, discussing defence cooperation."
    assert choose([SOUND, other, WRONG_ROLE], [-2.0, -0.5, -0.1], SOURCE) == 0
    assert choose([WRONG_ROLE, SOUND, other], [-2.0, -1.5, -0.5], SOURCE) == 2


def test_checks_replaces_a_flagged_greedy_summary_by_the_best_scoring_sound_draw() -> None:
    candidates = [WRONG_ROLE, SOUND, LOOP, SOUND + " "]
    assert choose(candidates, [-0.1, -1.5, -0.2, -1.0], SOURCE) == 3
    assert choose(candidates, [-0.1, -0.5, -0.2, -1.0], SOURCE) == 1


def test_when_every_candidate_is_flagged_the_greedy_one_stays() -> None:
    assert choose([WRONG_ROLE, LOOP, ""], [-3.0, -0.1, 0.0], SOURCE) == 0
    assert choose([WRONG_ROLE, LOOP], [-3.0, -0.1], SOURCE, "mbr") == 0


def test_mbr_keeps_the_sound_candidate_closest_to_the_others() -> None:
    odd = "Indian External Affairs Minister S Jaishankar visited Muscat on Monday."
    candidates = [odd, SOUND, SOUND.replace("trade", "defence"), WRONG_ROLE]
    agree = consensus(candidates)
    assert agree[1] > agree[0] and agree[2] > agree[0]
    assert choose(candidates, [0.0, -1.0, -1.0, 0.0], SOURCE, "mbr") in (1, 2)  # never the flagged one (3)
    assert consensus([SOUND]) == [0.0]


def test_an_unknown_selection_is_refused() -> None:
    with pytest.raises(ValueError, match="n_best_select"):
        choose([SOUND], [0.0], SOURCE, "longest")
    with pytest.raises(ConfigError, match="n_best_select"):
        make_config(SummariserConfig, n_best_select="longest")


def test_n_best_needs_the_sliced_greedy_decoder() -> None:
    for over in ({"draft_tokens": 2}, {"num_beams": 2}, {"sliced_head": False}):
        with pytest.raises(ConfigError, match="n_best"):
            make_config(SummariserConfig, n_best=4, **over)
    assert make_config(SummariserConfig, n_best=4).generation.n_best == 4
    assert GenerationArguments().n_best == 1  # greedy unless asked


def _draws(base: Path, docs: list[str], **over: object) -> list[str]:
    summ = _summariser(base, n_best=4, **over)
    rows, samplers = summ._draw_rows(docs, 4)
    texts, scores = summ._generate_sliced(rows, samplers)
    assert len(texts) == len(scores) == 3 * len(docs)
    return texts


def test_draws_are_seeded_per_document_whatever_shares_their_batch(tiny_causal_lm: Path) -> None:
    together = _draws(tiny_causal_lm, DOCS)
    assert _draws(tiny_causal_lm, DOCS) == together  # same seed, same draws
    assert _draws(tiny_causal_lm, DOCS[1:2]) == together[3:6]  # alone in its batch: the same draws
    assert len(set(together)) > 1  # they are draws, not the greedy summary three times
    assert _draws(tiny_causal_lm, DOCS, sample_seed=1) != together


def test_n_best_with_checks_changes_only_flagged_summaries(tiny_causal_lm: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    greedy = _summariser(tiny_causal_lm).summarise(DOCS)
    from accord.summarise import guard, rerank

    plain = _summariser(tiny_causal_lm, n_best=4).summarise(DOCS)
    assert all(p == g for p, g, d in zip(plain, greedy, DOCS, strict=True) if not guard.soundness_problems(g, d))

    def flag_greedy(summary: str, source: str) -> list[str]:
        return ["flagged"] if summary in greedy else []
    monkeypatch.setattr(guard, "soundness_problems", flag_greedy)
    monkeypatch.setattr(rerank, "soundness_problems", flag_greedy)
    picked = _summariser(tiny_causal_lm, n_best=4).summarise(DOCS)
    assert all(p not in greedy for p in picked if p)  # every greedy summary "flagged": a draw replaces it


def test_a_sound_summary_its_draws_disagree_with_is_doubted() -> None:
    from accord.summarise.rerank import agreement, doubts

    same = [SOUND, SOUND.replace("trade", "defence")]
    other = ["Omani ministers discussed regional security in Muscat on Monday.", "They met on Monday."]
    assert agreement(SOUND, same) > 0.8 > 0.46 > agreement(SOUND, other)
    assert agreement(SOUND, []) == 1.0
    asked: list[int] = []

    def draw(sources: list[str]) -> list[list[str]]:
        asked.append(len(sources))
        return [same, other][:len(sources)]
    found = doubts([SOUND, SOUND, WRONG_ROLE], [SOURCE] * 3, draw, 0.46)
    assert found[0] == []
    assert found[1][0].startswith("unstable: the model's own 2 draws agree")
    assert found[2] and found[2][0].startswith("role")  # a check's reason comes first; no draws needed
    assert asked == [2]  # the flagged summary's source was not drawn


def test_the_summariser_draws_only_for_summaries_the_checks_pass(tiny_causal_lm: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    summ = _summariser(tiny_causal_lm, agreement_draws=2, agreement_min=1.0)
    summaries = summ.summarise(DOCS)
    drawn: list[int] = []
    real = summ._generate_sliced
    monkeypatch.setattr(summ, "_generate_sliced", lambda rows, samplers=None: (drawn.append(len(rows)),
                                                                              real(rows, samplers))[1])
    flagged = ["They met (in secret)." if i == 1 else s for i, s in enumerate(summaries)]  # a check flags it
    found = summ.doubts(DOCS, flagged)
    assert found[1] and not found[1][0].startswith("unstable")
    assert sum(drawn) == 2 * sum(1 for i, s in enumerate(flagged) if i != 1 and s.strip())
    summ.g = GenerationArguments(**{**summ.g.__dict__, "agreement_draws": 0})
    drawn.clear()
    assert [bool(f) for f in summ.doubts(DOCS, flagged)][1] and drawn == []  # off: the checks only


def test_repeated_prompts_are_run_once_and_their_cache_repeated() -> None:
    import torch

    from accord.summarise.generate import _repeat_cache, _repeats
    from accord.summarise.kvcache import Cache

    assert _repeats([[1], [1], [1], [2], [2], [2]]) == 3
    assert _repeats([[1], [2], [3]]) == 1
    assert _repeats([[1], [1], [2]]) == 1  # uneven groups: every row runs
    assert _repeats([[1], [1], [1], [1]]) == 1  # one document twice over: ambiguous, every row runs
    cache = Cache(1, torch.tensor([[0], [1]]))
    cache.write(0, torch.arange(2.0).reshape(2, 1, 1, 1), torch.zeros(2, 1, 1, 1))
    cache.length = 1
    out = _repeat_cache(cache, 3)
    assert out.layers[0][0].flatten().tolist() == [0, 0, 0, 1, 1, 1]  # the filled column only, not the spare ones
    assert out.slots.flatten().tolist() == [0, 0, 0, 1, 1, 1]
    assert _repeat_cache(object(), 3) is None


@pytest.mark.parametrize("body", ["transformers", "accord"])
def test_draws_with_a_shared_prompt_pass_are_the_draws_without(body: str, tiny_causal_lm: Path,
                                                               tiny_gemma: tuple[Path, Path],
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    from accord.summarise import gemma3, generate

    if body == "accord":
        summ = _summariser(tiny_gemma[0], n_best=4)
        summ.model = gemma3.load(*tiny_gemma)
    else:
        summ = _summariser(tiny_causal_lm, n_best=4)
    rows, samplers = summ._draw_rows(DOCS, 4)
    prompts: list[int] = []
    body_forward = type(summ.model.model).forward

    @functools.wraps(body_forward)  # the decoder reads the signature (the cache's keyword)
    def counting(self: object, *args: object, **kwargs: object) -> object:
        prompts.append(kwargs["input_ids"].shape[0])
        return body_forward(self, *args, **kwargs)
    monkeypatch.setattr(type(summ.model.model), "forward", counting)
    monkeypatch.setattr(generate, "PREFILL_ROWS", 64)  # one prompt pass (its row chunks are tested in test_gemma3)
    shared = summ._generate_sliced(rows, samplers)
    assert prompts[0] == len(DOCS)  # the prompt pass ran each document once
    monkeypatch.setattr(generate, "_repeats", lambda prompts: 1)
    prompts.clear()
    assert summ._generate_sliced(rows, samplers)[0] == shared[0] and prompts[0] == len(rows)


def test_a_model_that_drafts_its_greedy_tokens_still_draws(tiny_gemma: tuple[Path, Path]) -> None:
    from accord.summarise import gemma3

    summ = _summariser(tiny_gemma[0], draft_tokens=4)
    summ.model = gemma3.load(*tiny_gemma)
    texts, _ = summ._generate_sliced(*summ._draw_rows(DOCS[:1], 3))
    assert len(texts) == 2  # drafting is greedy-only: the draws run one token per pass instead of failing
    assert len(summ.doubts(DOCS[:1], summ.summarise(DOCS[:1]))) == 1


def test_briefs_draws_reuse_the_prompt_passes_of_the_summaries(tiny_gemma: tuple[Path, Path],
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """With ``keep_prompts`` (the batch commands' summariser) the agreement draws read each document's prompt pass
    from the summary's decoding instead of running it again, and draw what they draw without; the kept passes go
    once the draws are done."""
    from accord.summarise import gemma3

    def summariser() -> object:
        summ = _summariser(tiny_gemma[0], agreement_draws=2, agreement_min=1.0)
        summ.model = gemma3.load(*tiny_gemma)
        return summ

    plain, keeping = summariser(), summariser()
    keeping.keep_prompts = True
    summaries = plain.summarise(DOCS)
    assert keeping.summarise(DOCS) == summaries and len(keeping._prompts.entries) == len(DOCS)
    widths: list[int] = []
    body_forward = gemma3.Body.forward

    @functools.wraps(body_forward)
    def counting(self: object, *args: object, **kwargs: object) -> object:
        widths.append(kwargs["input_ids"].shape[1])
        return body_forward(self, *args, **kwargs)
    monkeypatch.setattr(gemma3.Body, "forward", counting)
    found = keeping.doubts(DOCS, summaries)
    assert widths and set(widths) == {1}  # the draws ran one-token steps only: no prompt pass
    assert found == plain.doubts(DOCS, summaries)  # the same agreement scores, so the same draws
    assert any(f and f[0].startswith("unstable") for f in found)  # draws were made (agreement_min 1.0)
    assert not keeping._prompts.entries  # dropped once used


def test_confidence_is_the_decodes_own_and_the_same_whatever_shares_the_batch(tiny_causal_lm: Path) -> None:
    """Each summary's mean token log-probability over its own tokens: alone in a batch it is what it is beside
    others (the batch's score over the whole slice is not); draws do not overwrite it, and a new call forgets the
    documents of the one before."""
    summ = _summariser(tiny_causal_lm, agreement_draws=2)
    summ.summarise(DOCS)
    assert summ.confidence(DOCS) == [None] * len(DOCS)  # not kept unless asked
    summ.track_confidence = True
    summ.summarise(DOCS)
    conf = summ.confidence(DOCS)
    assert all(c is not None and c <= 0.0 for c in conf)
    summ.summarise(DOCS[1:2])
    assert summ.confidence(DOCS)[0] is None  # not in the last call
    assert summ.confidence(DOCS[1:2])[0] == pytest.approx(conf[1], abs=1e-4)
    summ.summarise(DOCS)
    summ.draws(DOCS, 2)
    assert summ.confidence(DOCS) == pytest.approx(conf, abs=1e-4)
