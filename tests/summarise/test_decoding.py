"""Copy-constrained decoding: the word and name constraints (a cased BPE tokenizer trained here) and the output
clean-up."""

from __future__ import annotations

import pytest

from accord.summarise.decoding import first_sentence


def test_first_sentence() -> None:
    assert first_sentence("  the two leaders met in Hà Nội. Then more text") == "The two leaders met in Hà Nội."
    assert first_sentence("") == ""


@pytest.fixture(scope="module")
def cased_tokenizer() -> object:
    """A small cased byte-level BPE tokenizer trained here (the MiniLM one lower-cases everything)."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    corpus = ["Emperor Naruhito met President Steinmeier in Tokyo on 12 May.", "The sides discussed trade and visas.",
              "Naru Narushi Steinmetel Kuning 13 May Tokyo's leaders co-operation"] * 5
    tk = Tokenizer(models.BPE(unk_token="<unk>"))
    tk.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tk.decoder = decoders.ByteLevel()
    tk.train_from_iterator(corpus, trainers.BpeTrainer(vocab_size=300, special_tokens=["<unk>", "<eos>", "<pad>"],
                                                        initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))
    return PreTrainedTokenizerFast(tokenizer_object=tk, eos_token="<eos>", pad_token="<pad>", unk_token="<unk>")


SOURCE = "Emperor Naruhito met President Steinmeier in Tokyo's palace on 12 May."


@pytest.mark.parametrize(("context", "piece", "ok"), [
    ("Emperor Naru", "hito", True),  # grows towards a source word
    ("Emperor Naru", "shi", False),  # "Narushi..." is no source word's prefix
    ("Emperor Naru", " met", False),  # "Naru" ended, but it is not a whole source word
    ("Emperor Naruhito", " met", True),
    ("naruhito met president", " Steinmetel", False),  # a glued-together name
    ("met on ", "12", True),
    ("met on ", "13", False),  # numbers are checked too
    ("in Tokyo", "'s", True),
    ("in Tokyo", "'x", False),  # attached to a checked word: checked
    ("the ", "xyzzy", True),  # lower-case words are left to the token-level constraint
    ("long", "-stay", True),
    ("", "Emperor", True),
    ("the ", "Palace", False),  # "palace" capitalised: only as the output's first word (below)
    ("", "EMPEROR", False),  # not as the source writes it
    ("Emperor Na", "RUHITO", False),
    ("Emperor Naru", "\ufffd", False),  # a raw byte cannot be checked, so never inside a name
    ("the ", "\ufffd", True),
])
def test_word_constraint_valid(cased_tokenizer: object, context: str, piece: str, ok: bool) -> None:
    from accord.summarise.decoding import WordConstraint

    assert WordConstraint(cased_tokenizer, [SOURCE], prompt_width=0).valid(0, context, piece) is ok


def test_word_constraint_keeps_best_valid_tokens(cased_tokenizer: object) -> None:
    import torch

    from accord.summarise.decoding import WordConstraint

    tok = cased_tokenizer
    prompt = tok("Article: x\nSummary:")["input_ids"]
    rows = [prompt + tok(" Emperor Naru")["input_ids"], prompt + tok(" On 1")["input_ids"]]
    width = max(len(r) for r in rows)
    ids = torch.tensor([[tok.pad_token_id] * (width - len(r)) + r for r in rows])
    wc = WordConstraint(tok, [SOURCE, SOURCE], prompt_width=len(prompt), keep=3)
    torch.manual_seed(0)
    scores = torch.randn(2, len(tok))
    scores[0, 5] = float("-inf")  # an earlier processor's ban stays a ban
    bad = tok(" met")["input_ids"][0]  # ends the word "Naru", which is no source word
    scores[0, bad] = 100.0
    out = wc(ids, scores.clone())
    for r in range(2):
        context = tok.decode(ids[r, len(prompt):].tolist(), skip_special_tokens=True)
        kept = torch.isfinite(out[r]).nonzero().flatten().tolist()
        expected = [t for t in torch.argsort(scores[r], descending=True).tolist()
                    if torch.isfinite(scores[r, t]) and wc.valid(r, context, wc.piece(t))][:3]
        assert sorted(kept) == sorted(expected) and 1 <= len(kept) <= 3
        assert torch.equal(out[r, kept], scores[r, kept])
    assert torch.isinf(out[0, bad]) and torch.isfinite(scores[0, bad])  # the best-scoring token was a misspelling


NAMES = ("President Lương Cường met Speaker Woo Won-shik and General Secretary Tô Lâm in the Republic of Korea; "
         "Ana Alba greeted Anthony Albanese.")


@pytest.mark.parametrize(("context", "piece", "ok"), [
    ("President Lương", " Cường", True),  # as the source writes it
    ("President Cường", " Cường", False),  # two real words, no source name
    ("General Secretary Tô", " Lương", False),  # mixes two people
    ("General Secretary Tô", " Lâ", True),  # grows towards the source's next word
    ("General Secretary Tô", " Wo", False),  # grows towards source words, but none follows "Tô"
    ("Speaker Woo Won", "-shik", True),  # attached parts are checked as words only
    ("Tô Lâm and", " Lương Cường", True),  # a lower-case word starts a new name
    ("Tô Lâm,", " Lương Cường", True),  # so does punctuation
    ("Talks in the", " Republic of Korea", True),  # across "of"
    ("President", " Tô", False),
    ("president", " Tô", True),  # a lower-case word is no name
])
def test_word_constraint_names_follow_the_source(cased_tokenizer: object, context: str, piece: str,
                                                 ok: bool) -> None:
    from accord.summarise.decoding import WordConstraint

    names = WordConstraint(cased_tokenizer, [NAMES], prompt_width=0, names=True)
    assert names.valid(0, context, piece) is ok
    assert WordConstraint(cased_tokenizer, [NAMES], prompt_width=0).valid(0, context, piece)  # words alone pass


TITLES = ("Bangladesh's Home Affairs Minister Saifuddin Nasution met Human Resources Minister V Shivakumar. "
          "President of Turkiye Recep Tayyip Erdogan met Crown Prince and Prime Minister Mohammed bin Salman. "
          "The Kazakh MFA's press office quoted Foreign Minister Erlan Abdyldayev.")


@pytest.mark.parametrize(("context", "piece", "ok"), [
    ("Malaysian Home Affairs minister", " V", False),  # each pair is in the source, the chain is not
    ("Malaysian Home Affairs minister", " Sai", True),  # the source's own minister, while the word grows
    ("Home Affairs Minister", " Saifuddin", True),
    ("Human Resources Minister", " V", True),
    ("Prime Minister of", " Turkiye", False),  # joiners link a chain
    ("President of", " Turkiye", True),
    ("President of Turkiye", " Recep", True),
    ("Kazakh MFA's", " Foreign", False),  # so does a possessive
    ("Bangladesh's Home", " Affairs", True),
    ("the Human", " Resources", True),  # a leading joiner does not count: one pair, left to names
    ("Erdogan met Crown", " Prince", True),  # a lower-case word that is no office ends a chain
    ("Nasution and Prime", " Minister", True),  # and so does "and": two people, each named as the source does
])
def test_word_constraint_titles_follow_the_source(cased_tokenizer: object, context: str, piece: str,
                                                  ok: bool) -> None:
    from accord.summarise.decoding import WordConstraint

    titles = WordConstraint(cased_tokenizer, [TITLES], prompt_width=0, names=True, titles=True)
    assert titles.valid(0, context, piece) is ok
    assert WordConstraint(cased_tokenizer, [TITLES], prompt_width=0, names=True).valid(0, context, piece)


def test_word_constraint_titles_ignore_a_cut_first_word(cased_tokenizer: object) -> None:
    """The checked context is the output's last 80 characters: a run at its start may be the end of a word."""
    from accord.summarise.decoding import WordConstraint

    source = "Home Affairs Minister Saifuddin met Human Resources Minister V Shivakumar."
    titles = WordConstraint(cased_tokenizer, [source], prompt_width=0, titles=True)
    assert titles.valid(0, "Affairs minister", " V")  # "Affairs" may be the end of a longer word
    assert not titles.valid(0, "Affairs minister", " V", start=True)  # as the whole output it is a word


SPANS = "Speaker Woo Won-shik met General Secretary Tô Lâm in Hà Nội on Thursday. They discussed trade, defence."


@pytest.mark.parametrize(("context", "piece", "ok", "start"), [
    ("Woo Won-shik met", " General", True, True),  # the source's own next word
    ("Woo Won-shik met", " Tô", False, True),  # each word is a source word, the pair is not
    ("Woo Won-shik met", " Gen", True, True),  # a prefix of a following word, while it grows
    ("Woo Won-shik met General", " Secretary Tô Lâm in Hà", True, True),
    ("Tô Lâm in Hà Nội", " on Thursday", True, True),
    ("Tô Lâm met", " Woo", False, True),
    ("Tô Lâm,", " Woo Won", True, True),  # punctuation starts a new span
    ("Tô Lâm discussed", " trade", False, True),  # "discussed trade" is not one span in the source
    ("They discussed trade,", " defence", True, True),
    ("cussed", " trade", True, False),  # a cut first word of the checked context is not judged
    ("cussed", " trade", False, True),  # as the whole output it is a word
])
def test_word_constraint_spans_follow_the_source(cased_tokenizer: object, context: str, piece: str, ok: bool,
                                                 start: bool) -> None:
    from accord.summarise.decoding import WordConstraint

    spans = WordConstraint(cased_tokenizer, [SPANS], prompt_width=0, spans=True)
    assert spans.valid(0, context, piece, start) is ok
    assert WordConstraint(cased_tokenizer, [SPANS], prompt_width=0).valid(0, context, piece, start)  # off: pass


def test_word_constraint_names_finish_as_the_source_writes_them(cased_tokenizer: object) -> None:
    import torch

    from accord.summarise.decoding import CopyConstraint, WordConstraint

    tok = cased_tokenizer
    copy = CopyConstraint([[]], {tok.eos_token_id}, len(tok))
    wc = WordConstraint(tok, [NAMES], prompt_width=0, copy=copy, names=True)
    assert wc.valid(0, "The", " Republic of Korea", start=True)  # a capitalised joiner starts no name
    scores = torch.full((1, len(tok)), float("-inf"))
    scores[0, tok(" met")["input_ids"][0]] = 0.0  # the model's only wish ends "A" as it is: invalid
    # source words that "A" begins, shortest first: "Ana", "Alba" (real words, but they do not follow
    # "Anthony"), then "Albanese", the one that does
    out = wc(torch.tensor([tok("Anthony A")["input_ids"]]), scores)
    kept = torch.isfinite(out[0]).nonzero().flatten().tolist()
    assert len(kept) == 1 and "Albanese".startswith("A" + wc.piece(kept[0])) and "A" + wc.piece(kept[0]) != "Alba"
    assert WordConstraint(tok, [NAMES], prompt_width=0).valid(0, "Anthony Alba", " met")  # every word is real
    assert not wc.valid(0, "Anthony Alba", " met")  # but not that name


def test_word_constraint_first_word_and_token_level_inside_names(cased_tokenizer: object) -> None:
    import torch

    from accord.summarise.decoding import CopyConstraint, WordConstraint

    tok = cased_tokenizer
    wc = WordConstraint(tok, [SOURCE], prompt_width=0)
    assert wc.valid(0, "", "Palace ", start=True) and not wc.valid(0, "the ", "Palace ", start=True)
    # token level allows nothing but EOS: outside a name only EOS and tokens starting a capitalised source word
    # or a source number survive (no lower-case word, no punctuation); inside "Naru" a token that only adds
    # letters towards "Naruhito" may, but no space, punctuation or other word
    copy = CopyConstraint([[]], {tok.eos_token_id}, len(tok))
    wc = WordConstraint(tok, [SOURCE], prompt_width=0, keep=300, copy=copy)
    for context, inside in (("the sides", False), ("Emperor Naru", True)):
        ids = torch.tensor([tok(context)["input_ids"]])
        out = wc(ids, torch.zeros(1, len(tok)))
        kept = torch.isfinite(out[0]).nonzero().flatten().tolist()
        if not inside:
            starts = {wc.piece(t) for t in kept if t != tok.eos_token_id}
            assert tok.eos_token_id in kept and {" Emperor", " Tokyo", " 12"} & starts
            assert all(p[0] == " " and (p[1].isupper() or p[1].isdigit()) and wc.valid(0, context, p) for p in starts)
            continue
        assert kept and tok.eos_token_id not in kept  # "Naru" is no whole source word: it cannot end here
        assert all(wc.valid(0, context, wc.piece(t)) and "Naruhito".startswith("Naru" + wc.piece(t)) for t in kept)


def test_word_constraint_finishes_a_name_at_a_dead_end(cased_tokenizer: object) -> None:
    import torch

    from accord.summarise.decoding import CopyConstraint, WordConstraint

    tok = cased_tokenizer
    copy = CopyConstraint([[]], {tok.eos_token_id}, len(tok))
    wc = WordConstraint(tok, [SOURCE], prompt_width=0, copy=copy)
    scores = torch.full((1, len(tok)), float("-inf"))
    scores[0, tok(" met")["input_ids"][0]] = 0.0  # the model's only wish ends "Naru" as it is: invalid
    out = wc(torch.tensor([tok("Emperor Naru")["input_ids"]]), scores)
    kept = torch.isfinite(out[0]).nonzero().flatten().tolist()
    assert len(kept) == 1 and "Naruhito".startswith("Naru" + wc.piece(kept[0])) and wc.piece(kept[0])
    out = wc(torch.tensor([tok("the sides")["input_ids"]]), scores)  # not inside a name: the summary ends
    ended = torch.isfinite(out[0]).nonzero().flatten().tolist()
    assert tok.eos_token_id in ended and set(ended) <= set(tok.all_special_ids)


def test_tidy_ends_a_list_before_an_item_that_recycles_a_word() -> None:
    from accord.summarise.decoding import tidy

    looped = ("Crown Prince X received Prime Minister Y in Riyadh, discussing bilateral relations, security and "
              "stability, trade, investment, education, culture, defence and security.")
    assert tidy(looped, "") == ("Crown Prince X received Prime Minister Y in Riyadh, discussing bilateral relations, "
                                "security and stability, trade, investment, education, culture.")
    clean = "Viet Nam and Korea agreed to expand trade, investment, defence and education cooperation."
    assert tidy(clean, "") == clean  # nothing recycled: unchanged
    assert tidy("A met B, discussing trade, tourism, trade.", "") == "A met B, discussing trade, tourism."


def test_tidy_mends_hyphenation_only_where_the_source_writes_it_whole() -> None:
    from accord.summarise.decoding import tidy

    assert tidy("They discussed UAE- Romania ties.", "UAE-Romania ties grew.") == "They discussed UAE-Romania ties."
    assert tidy("They discussed UAE- Romania ties.", "UAE and Romania.") == "They discussed UAE- Romania ties."


def test_models_saved_before_tidy_decode_as_they_were_evaluated() -> None:
    from accord.summarise.config import config_from_meta

    assert config_from_meta({"generation": {"max_words": 40}}).generation.tidy is False
    assert config_from_meta({"generation": {"tidy": True}}).generation.tidy is True


def test_word_constraint_topics_only_where_the_source_mentions_them(cased_tokenizer: object) -> None:
    from accord.summarise.decoding import WordConstraint

    source = "The ministers met in Hanoi to discuss investment and education."
    topics = WordConstraint(cased_tokenizer, [source], prompt_width=0, topics=True)
    assert topics.valid(0, "They discussed investment,", " education")
    assert topics.valid(0, "They discussed", " investors")  # another form of a topic the source has
    assert not topics.valid(0, "They discussed investment and", " touri")  # half-written already
    assert not topics.valid(0, "They discussed investment and tourism", ".")
    assert not topics.valid(0, "They discussed investment and", " tour")  # the stem of an unmentioned topic
    assert topics.valid(0, "They discussed investment and", " to")  # too short to name one yet
    assert WordConstraint(cased_tokenizer, [source], prompt_width=0).valid(0, "They discussed", " tourism")


def test_models_saved_before_copy_topics_decode_as_they_were_evaluated() -> None:
    from accord.summarise.config import SummariserConfig, config_from_meta

    assert config_from_meta({"generation": {"max_words": 40}}).generation.copy_topics is False
    assert config_from_meta({"generation": {"copy_topics": True}}).generation.copy_topics is True
    old = config_from_meta({"generation": {"max_words": 40}}).generation
    assert old.copy_claims is False and old.cut_dead_ends is False  # added later: off for models saved before
    assert old.bf16_prefill is False and old.bf16_steps is False and old.generate_batch_size == 16
    assert old.bf16_cache is False  # the default since stop 54; a model saved before it keeps the fp32 cache
    assert config_from_meta({"generation": {"bf16_cache": False}}).generation.bf16_cache is False
    now = SummariserConfig().generation  # what a model trained now is saved with
    assert now.bf16_steps is True and now.bf16_cache is True


def test_word_constraint_lexicon_refuses_glued_lower_case_words(cased_tokenizer: object) -> None:
    from accord.summarise.decoding import WordConstraint

    source = "The Prime Minister met the Speaker in Hanoi. They agreed to expand trade and education ties."
    lexicon = sorted({"bilateral", "discussing", "relations", "cooperation", "the", "and", "to"})
    glued = WordConstraint(cased_tokenizer, [source], prompt_width=0, lexicon=lexicon)
    assert glued.valid(0, "They discussed trade", " and")  # source words
    assert glued.valid(0, "They met", " bilateral relations")  # whole words of the vocabulary
    assert not glued.valid(0, "They held", " talks")  # "held": neither a source word nor in the vocabulary
    assert glued.valid(0, "They met", " bilat")  # still growing: the beginning of a vocabulary word
    assert not glued.valid(0, "They discussed trade", "bil")  # "tradebil" begins no word: refused as it grows
    assert not glued.valid(0, "They discussed tradebilateral", " relations")  # and refused when it ends
    assert not glued.valid(0, "discussing educationbilateral", "cooperation")
    assert not glued.valid(0, "the migrant labour", "2024")  # letters and digits glued: only as a source word
    assert glued.valid(0, "the education", "'s ties")  # a run attached by an apostrophe is not checked
    loose = WordConstraint(cased_tokenizer, [source], prompt_width=0)
    assert loose.valid(0, "They discussed tradebilateral", " relations")  # without a lexicon: as before


def test_models_saved_before_copy_lexicon_decode_as_they_were_evaluated() -> None:
    from accord.summarise.config import config_from_meta

    assert config_from_meta({"generation": {"max_words": 40}}).generation.copy_lexicon is False
    assert config_from_meta({"generation": {"copy_lexicon": True}}).generation.copy_lexicon is True


def test_word_constraint_claims_only_where_the_source_makes_them(cased_tokenizer: object) -> None:
    from accord.summarise.decoding import WordConstraint

    source = "Kuwait's foreign minister met the envoy in Hanoi. They signed an accord on border trade and ties."
    claims = WordConstraint(cased_tokenizer, [source], prompt_width=0, claims=True)
    assert claims.valid(0, "They met,", " signing")  # the source signed something: same family
    assert claims.valid(0, "They met, discussing border", " trade")
    assert not claims.valid(0, "They met, striking a deal", " on")  # no deal in the source: refused once whole
    assert claims.valid(0, "They met, striking a", " deal")  # still growing ("dealer"?): not yet
    assert not claims.valid(0, "They discussed the borderline", ".")
    assert claims.valid(0, "Kuwait's", " envoy") and claims.valid(0, "Kuwait'", "s")  # a possessive always
    assert not claims.valid(0, "They discussed Kuwait'", "ties")  # glued on by an apostrophe: not as written
    assert not claims.valid(0, "They discussed Kuwait'", "\n")  # nor left dangling at the end
    assert WordConstraint(cased_tokenizer, [source], prompt_width=0).valid(0, "They discussed Kuwait'", "ties")
    assert WordConstraint(cased_tokenizer, [source], prompt_width=0).valid(0, "They struck a deal", " on")


def test_word_constraint_scans_only_the_tail(cased_tokenizer: object) -> None:
    """``valid`` scans the context once per step and then only the runs a piece touches: the same verdicts as
    scanning the whole text for every candidate, over every cut of real-looking outputs and many pieces."""
    from accord.summarise.decoding import WordConstraint, _Tail

    source = SOURCE + " Tokyo's co-operation with the Naruhito-era palace."
    wc = WordConstraint(cased_tokenizer, [source], prompt_width=0, names=True, topics=True, claims=True,
                        lexicon=sorted({"met", "in", "on", "the", "with", "palace"}))
    whole = _Tail(0, 0, None, False, -2, False)  # a tail that starts at the text's start: the full scan
    outputs = ["Emperor Naruhito met President Steinmeier in Tokyo's palace on 12 May.",
               "Naruhito-era co-operation with Tokyo's Emperor, the palace", "the 12 May visas of Steinmetel"]
    pieces = ["hito", " met", "'s", "-era", " Steinmeier", " 12", "13", " May", ", the", "\n", " Tokyo", "s",
              "-operation", " trade", "x", " "]
    verdicts = []
    for text in outputs:
        for cut in range(len(text) + 1):
            context = text[:cut]
            for piece in pieces:
                fast = wc.valid(0, context, piece, start=True)
                wc._last_tail = (context, whole._replace(inside=wc.in_checked_word(context)))
                assert wc.valid(0, context, piece, start=True) is fast, (context, piece)
                wc._last_tail = None
                verdicts.append(fast)
    assert any(verdicts) and not all(verdicts)
