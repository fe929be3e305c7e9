"""A summariser's settings: the model, training-mix, training and decoding sections of :class:`SummariserConfig`.

Every field is a named default with its help (:func:`accord.config.arg`); YAML profiles under
``training/configs/summariser/`` set some of them and the command line overrides any (``generation.max_words=30``).
The config is saved with each model, so :func:`config_from_meta` reads what an older model was saved with.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from accord import paths
from accord.bases import GEMMA_ALIAS, MINILM_WARMSTART
from accord.config import arg, flatten, from_dict
from accord.data.config import DataConfig
from accord.summarise.rerank import SELECTIONS

FAMILIES = ("causal", "seq2seq")
META_FILE = "accord_summariser.json"  # beside a saved summariser's weights: its config and training facts


@dataclass
class ModelArguments:
    """Which network, how its input is built and how it is adapted."""

    family: str = arg("causal", "causal (decoder-only + LoRA) or seq2seq (encoder-decoder)", choices=FAMILIES)
    base_model: str = arg(GEMMA_ALIAS, f"alias ({GEMMA_ALIAS}, {MINILM_WARMSTART}), local path or Hub id")
    prompt: str = arg("Article: {document}\n\nOne-sentence summary:", "causal prompt; {document} is the source")
    max_source_tokens: int = arg(384, "source tokens kept (the rest is truncated)", low=16, high=4096)
    max_target_tokens: int = arg(64, "reference tokens trained on", low=8, high=512)
    lora_r: int = arg(16, "LoRA rank (causal)", low=1, high=256)
    lora_alpha: int = arg(32, "LoRA scaling numerator (causal)", low=1)
    lora_dropout: float = arg(0.05, "LoRA dropout (causal)", low=0.0, high=0.9)
    lora_targets: str = arg("q_proj,k_proj,v_proj,o_proj", "comma-separated module names that get adapters")

    def validate(self) -> None:
        if "{document}" not in self.prompt:
            raise ValueError("model.prompt must contain {document}")


@dataclass
class MixArguments:
    """What the training batches are drawn from."""

    reports_share: float = arg(0.3, "probability that a batch is drawn from the curated reports", low=0.0, high=1.0)
    real_share: float = arg(0.4, "probability that a batch is drawn from the real train articles (the rest: XSum)",
                            low=0.0, high=1.0)
    xsum_min_faithfulness: float = arg(1.0, "keep XSum rows whose reference is at least this faithful", low=0.0,
                                       high=1.0)
    xsum_limit: int = arg(0, ">0: at most this many XSum training rows (tests)", low=0)
    val_limit: int = arg(0, ">0: score at most this many validation articles", low=0)

    def validate(self) -> None:
        if self.reports_share + self.real_share > 1.0:
            raise ValueError("reports_share + real_share must be at most 1 (the rest is XSum)")

    def shares(self) -> dict[str, float]:
        """Probability of drawing a batch from each pool."""
        return {"reports": self.reports_share, "real": self.real_share,
                "xsum": max(0.0, 1.0 - self.reports_share - self.real_share)}


@dataclass
class TrainingArguments:
    """Optimisation, validation and checkpoints."""

    max_steps: int = arg(60, "optimiser steps", low=1)
    batch_size: int = arg(4, "documents per step", low=1, high=256)
    learning_rate: float = arg(3e-4, "peak learning rate (linear warm-up and decay)", low=1e-7, high=1.0)
    weight_decay: float = arg(0.0, "AdamW weight decay", low=0.0, high=1.0)
    warmup_steps: int = arg(5, "warm-up steps", low=0)
    eval_every: int = arg(20, "steps between validation ROUGE checks and checkpoints", low=1)
    early_stopping_patience: int = arg(2, "validations without a better ROUGE-L before stopping", low=1)
    validation_loss: bool = arg(True, "also compute the validation loss at each validation (a diagnostic curve; "
                                      "nothing is chosen on it; ~50 s per pass over 114 real articles on 2 CPUs)")
    checkpoint_dir: str = arg(str(paths.MODELS_DIR / "summariser"), "where checkpoints go (one folder per run name)")
    resume: bool = arg(False, "continue from the run's last checkpoint")
    bf16: bool = arg(False, "bfloat16 autocast for the training and validation loss (weights stay float32, "
                            "generation is untouched): ~1.8x faster forward on a CPU with AVX512-BF16; float32 on "
                            "one without")


@dataclass
class GenerationArguments:
    """How summaries are decoded."""

    num_beams: int = arg(1, "beams (1 = greedy)", low=1, high=16)
    no_repeat_ngram_size: int = arg(3, "never repeat an n-gram of this size (0 = off)", low=0)
    max_new_tokens: int = arg(60, "tokens generated at most", low=4, high=512)
    generate_batch_size: int = arg(32, "documents decoded together (32: the same real-validation scores as 16, "
                                       "1.06x faster; 16 was 1.22x faster than 8)", low=1)
    copy_constrained: bool = arg(True, "decode only source tokens + the training summaries' common words")
    copy_words: bool = arg(True, "capitalised words and numbers must be whole source words (WordConstraint)")
    copy_names: bool = arg(True, "with copy_words: adjacent capitalised words must be adjacent in the source")
    copy_titles: bool = arg(False, "with copy_words: a capitalised word after two words of a title chain must follow "
                                   "them in the source ('Home Affairs minister V' where the source's V is another "
                                   "minister; off: on real validation role errors 8.4% -> 6.7%, ROUGE-L -0.9; "
                                   "docs/decisions.md)")
    copy_spans: bool = arg(False, "with copy_words: every two words one space apart must be two words one space "
                                  "apart in the source; punctuation starts a new span (off: on real validation ROUGE-L "
                                  "45.9 -> 39.5, clean 90.5% -> 82.1%: comma-joined lists of names; "
                                  "docs/decisions.md)")
    max_words: int = arg(40, "cut longer summaries at a clause boundary", low=5)
    sliced_head: bool = arg(True, "causal greedy: logits only for the tokens the copy constraint allows (fast)")
    no_repeat_words: bool = arg(True, "with sliced_head: a lower-case content word may not be used twice")
    copy_topics: bool = arg(True, "with copy_words: a cooperation topic (metrics.TOPICS) only where the source "
                                  "mentions it (no invented 'tourism')")
    copy_claims: bool = arg(True, "with copy_words: claim words (metrics.CLAIM_FAMILIES: signing, a deal, a border) "
                                  "only where the source uses their family; a word glued on by an apostrophe only "
                                  "as the source writes it (docs/decisions.md: with cut_dead_ends, on real validation)")
    cut_dead_ends: bool = arg(True, "with sliced_head: where no token passes the checks, end the summary before its "
                                    "unfinished list item instead of mid-word")
    copy_roles: bool = arg(False, "with sliced_head: a name may not be finished with an office or country its "
                                  "source does not give that person (roles.role_errors; off: on real validation "
                                  "it cut summaries short, ROUGE-L 44.1 -> 42.8, role errors unchanged)")
    copy_lexicon: bool = arg(True, "with copy_words: a lower-case word must be a source word or a whole word of the "
                                   "tokenizer's vocabulary (no glued 'tradebilateral')")
    tidy: bool = arg(True, "mend broken hyphenation the source writes whole; end a list before an item that only "
                           "recycles an earlier word (decoding.tidy)")
    draft_tokens: int = arg(0, "with sliced_head on accord's Gemma 3: prompt tokens drafted ahead and checked in one "
                               "forward pass (prompt-lookup decoding; greedy outputs kept; 0 = one token per pass)",
                            low=0, high=16)
    int8: bool = arg(False, "sliced decoding on the torch-only Gemma 3 (accord.summarise.gemma3): attention and MLP "
                            "weights as int8 (dynamic quantisation); docs/summariser.md gives its cost in quality")
    bf16_prefill: bool = arg(True, "sliced decoding: the prompt's prefill under bfloat16 autocast where the CPU "
                                    "computes bf16 natively (the steps stay fp32); docs/summariser.md gives speed "
                                    "and quality")
    bf16_steps: bool = arg(True, "sliced decoding on accord's Gemma 3: the projections outside the bf16 prefill (the "
                                 "one-token steps; the prompt pass too when bf16_prefill is off) in bfloat16, fp32 "
                                 "in and out (attention, KV cache and norms fp32), where the CPU computes bf16 "
                                 "natively (real validation: ROUGE-L 46.3 -> 46.5, 64 s -> 56 s; docs/decisions.md)")
    bf16_attention: bool = arg(False, "with bf16_prefill on accord's Gemma 3: the prompt pass's attention in bf16 "
                                      "GEMMs (scores and weights rounded to bf16) instead of the fp32 flash kernel; "
                                      "docs/summariser.md gives speed and quality")
    bf16_cache: bool = arg(True, "sliced decoding on accord's Gemma 3: the one-token steps' KV cache in bfloat16 "
                                 "(their attention reads half the bytes) where the CPU computes bf16 natively "
                                 "(602 reports no decoding choice had used: ROUGE-L 47.9 both, 490 s -> 378 s; "
                                 "docs/decisions.md)")
    ngrams_in_prompt: bool = arg(False, "no_repeat_ngram_size also bans n-grams of the prompt, as generate() does "
                                        "(it stops the model copying a three-token name from its source)")
    n_best: int = arg(1, "with sliced_head: candidates per document, the greedy one and n_best - 1 draws; "
                         "rerank.choose keeps one (1 = greedy only; each candidate costs a greedy decode)",
                      low=1, high=32)
    n_best_select: str = arg("checks", "how one candidate is kept (accord.summarise.rerank): checks (greedy unless "
                                       "the soundness checks flag it) or mbr (the sound one closest to the others)",
                             choices=SELECTIONS)
    sample_temperature: float = arg(0.8, "softmax temperature of the drawn candidates", low=0.05, high=5.0)
    sample_seed: int = arg(0, "seed of the drawn candidates (with each document's text: batching does not matter)")
    agreement_draws: int = arg(3, "briefs: draws each summary the checks pass is compared with; one that agrees "
                                  "with them less than agreement_min is not shown (0 = off; rerank.doubts)",
                               low=0, high=16)
    agreement_min: float = arg(0.46, "mean ROUGE-L F1 with the draws below which a summary is unstable (chosen on "
                                     "the real-validation audits: docs/summariser.md)", low=0.0, high=1.0)

    def validate(self) -> None:
        if self.n_best > 1 and not (self.sliced_head and self.copy_words and self.num_beams == 1
                                    and self.draft_tokens == 0):
            raise ValueError("n_best > 1 needs sliced_head and copy_words, num_beams 1 and draft_tokens 0")


@dataclass
class SummariserConfig:
    """Everything that defines a summariser training run (logged whole to MLflow)."""

    seed: int = arg(42, "seed of initialisation, batch order and dropout")
    run_name: str = arg("", "MLflow run name; empty: family + base + profile")
    profile: str = arg("quick", "a name for the schedule (quick, full, ...), shown in run names")
    model: ModelArguments = arg(help="network, input and adapters", factory=ModelArguments)
    mix: MixArguments = arg(help="training data mix", factory=MixArguments)
    training: TrainingArguments = arg(help="optimisation and checkpoints", factory=TrainingArguments)
    generation: GenerationArguments = arg(help="decoding", factory=GenerationArguments)
    data: DataConfig = arg(help="data and splits", factory=DataConfig)


def config_from_meta(values: dict[str, Any]) -> SummariserConfig:
    """The config saved with a model. Older flat configs load into the sections; a model saved before a copy
    constraint existed decodes as it did when it was evaluated (that constraint off)."""
    flat = flatten(values)
    for flag in ("copy_words", "copy_names", "copy_titles", "no_repeat_words", "tidy", "copy_topics", "copy_lexicon",
                 "copy_roles", "copy_claims", "cut_dead_ends", "bf16_prefill", "bf16_steps",
                 "bf16_attention", "bf16_cache", "copy_spans"):
        if not any(k.rsplit(".", 1)[-1] == flag for k in flat):
            flat[f"generation.{flag}"] = False
    if not any(k.rsplit(".", 1)[-1] == "generate_batch_size" for k in flat):
        flat["generation.generate_batch_size"] = 16  # the default before 2026-12-02
    if not any(k.rsplit(".", 1)[-1] == "ngrams_in_prompt" for k in flat):
        flat["generation.ngrams_in_prompt"] = True  # they were decoded by generate(), which bans the prompt's too
    return from_dict(SummariserConfig, flat, "saved model config", strict=False)
