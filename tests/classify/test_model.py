"""The two classifier families: fit, predict, save, load; seeded determinism."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from accord.classify.config import ClassifierConfig
from accord.classify.families import build_classifier, load_classifier
from accord.data.datasets import classification_datasets, split_arrays
from accord.system import bf16_native
from tests.conftest import make_config


@pytest.fixture(scope="module")
def splits() -> dict:
    dd = classification_datasets()
    return {name: split_arrays(dd[name]) for name in ("train", "real_validation")}


def test_tfidf_round_trip_and_determinism(splits: dict, tmp_path: Path) -> None:
    _, texts, y = splits["train"]
    _, val_texts, val_y = splits["real_validation"]
    a = build_classifier(ClassifierConfig(family="tfidf")).fit(texts, y, val_texts, val_y)
    b = build_classifier(ClassifierConfig(family="tfidf")).fit(texts, y, val_texts, val_y)
    pa, pb = a.predict_proba(val_texts), b.predict_proba(val_texts)
    assert np.array_equal(pa, pb)
    a.thresholds = np.array([0.4, 0.5, 0.6, 0.5, 0.3])
    loaded = load_classifier(a.save(tmp_path / "m"))
    assert np.allclose(loaded.predict_proba(val_texts), pa)
    assert loaded.thresholds.tolist() == [0.4, 0.5, 0.6, 0.5, 0.3]
    assert loaded.predict(["Both sides agreed to waive entry visas for tourists."])[0] == ["people_to_people",
                                                                                           "visas"]


def test_tiny_transformer_trains_and_round_trips(splits: dict, tiny_encoder: Path, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ACCORD_CHECKPOINTS", str(tmp_path / "ckpt"))
    _, texts, y = splits["train"]
    _, val_texts, val_y = splits["real_validation"]
    cfg = make_config(ClassifierConfig, family="minilm", base_model=str(tiny_encoder), epochs=2, batch_size=8,
                      max_length=32)
    seen: list[dict] = []
    clf = build_classifier(cfg).fit(texts[:24], y[:24], val_texts[:16], val_y[:16], on_epoch=seen.append)
    assert [row["epoch"] for row in seen] == [1, 2]
    assert {"train_loss", "val_loss", "val_macro_f1"} <= set(seen[0])
    probs = clf.predict_proba(val_texts[:5])
    assert probs.shape == (5, 5) and np.all((probs >= 0) & (probs <= 1))
    loaded = load_classifier(clf.save(tmp_path / "m"))
    assert np.allclose(loaded.predict_proba(val_texts[:5]), probs, atol=1e-6)
    assert not list((tmp_path / "ckpt").glob("*")), "checkpoints are cleaned up"


def test_unknown_family() -> None:
    with pytest.raises(ValueError, match="unknown family"):
        build_classifier(ClassifierConfig(family="bert"))


def test_a_repeated_member_is_another_seed(splits: dict) -> None:
    """``tfidf,minilm,minilm``: the first of each family keeps the run's seed, a repeat takes the next one."""
    cfg = make_config(ClassifierConfig, family="ensemble", seed=7, members="tfidf,minilm,minilm")
    members = build_classifier(cfg).members
    assert [(m.family, m.config.seed) for m in members] == [("tfidf", 7), ("minilm", 7), ("minilm", 8)]


def _first_epoch(splits: dict, tiny_encoder: Path, n_train: int, n_val: int, **settings: object
                 ) -> tuple[Any, float]:
    """The tiny encoder fitted for one epoch with ``settings``, and that epoch's training loss."""
    _, texts, y = splits["train"]
    _, val_texts, val_y = splits["real_validation"]
    cfg = make_config(ClassifierConfig, family="minilm", base_model=str(tiny_encoder), epochs=1, max_length=32,
                      **settings)
    seen: list[dict] = []
    clf = build_classifier(cfg).fit(texts[:n_train], y[:n_train], val_texts[:n_val], val_y[:n_val],
                                    on_epoch=seen.append)
    return clf, seen[0]["train_loss"]


def _first_epoch_losses(splits: dict, tiny_encoder: Path) -> dict[bool, float]:
    """The tiny encoder's first-epoch training loss with ``minilm.bf16`` off and on."""
    _, val_texts, _ = splits["real_validation"]
    losses = {}
    for bf16 in (False, True):
        clf, losses[bf16] = _first_epoch(splits, tiny_encoder, 24, 16, batch_size=8, bf16=bf16)
        assert all(str(p.dtype) == "torch.float32" for p in clf.model.parameters())
        assert clf.predict_proba(val_texts[:3]).dtype == np.float64
    return losses


@pytest.mark.skipif(not bf16_native(), reason="this CPU has no native bfloat16 (the switch falls back to float32)")
def test_bf16_training_changes_the_arithmetic_not_the_weights(splits: dict, tiny_encoder: Path, tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """``minilm.bf16`` trains under bfloat16 autocast: another loss curve, float32 weights, float32 prediction."""
    monkeypatch.setenv("ACCORD_CHECKPOINTS", str(tmp_path / "ckpt"))
    losses = _first_epoch_losses(splits, tiny_encoder)
    assert losses[True] != losses[False] and abs(losses[True] - losses[False]) < 0.05 * losses[False]


def test_after_bf16_training_the_model_predicts_in_float32_as_it_will_be_served(
        splits: dict, tiny_encoder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Under bf16 the trainer wraps the model's forward in autocast; what the run predicts afterwards (thresholds,
    logged metrics, the gate) must be the float32 probabilities of the saved model, not bfloat16 ones."""
    monkeypatch.setenv("ACCORD_CHECKPOINTS", str(tmp_path / "ckpt"))
    monkeypatch.setattr("accord.classify.model.bf16_native", lambda device=None: True)  # autocast runs on any CPU
    _, val_texts, _ = splits["real_validation"]
    clf, _ = _first_epoch(splits, tiny_encoder, 24, 16, batch_size=8, bf16=True)
    assert "_original_forward" not in vars(clf.model) and not hasattr(clf.model.forward, "__wrapped__")
    served = load_classifier(clf.save(tmp_path / "saved"))
    np.testing.assert_array_equal(clf.predict_proba(val_texts[:16]), served.predict_proba(val_texts[:16]))


def test_bf16_training_falls_back_to_float32_without_native_support(splits: dict, tiny_encoder: Path,
                                                                   tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ACCORD_CHECKPOINTS", str(tmp_path / "ckpt"))
    monkeypatch.setattr("accord.classify.model.bf16_native", lambda device=None: False)
    losses = _first_epoch_losses(splits, tiny_encoder)
    assert losses[True] == losses[False]


def test_last_pooling_takes_each_rows_last_real_token_whichever_side_pads() -> None:
    """``minilm.pooling: last`` reads the state at the highest position the mask keeps: by hand, for a row padded
    on the right, one padded on the left and a full one; ``mean`` averages only the kept tokens."""
    import torch

    from accord.classify.encoder import pool

    hidden = torch.arange(3 * 4 * 2, dtype=torch.float32).reshape(3, 4, 2)
    mask = torch.tensor([[1, 1, 0, 0], [0, 0, 1, 1], [1, 1, 1, 1]])
    assert pool(hidden, mask, "last").tolist() == [[2.0, 3.0], [14.0, 15.0], [22.0, 23.0]]
    assert pool(hidden, mask, "mean").tolist() == [[1.0, 2.0], [13.0, 14.0], [19.0, 20.0]]


def test_a_last_pooled_decoder_saves_and_loads_with_its_pooling(splits: dict, tiny_causal_lm: Path, tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """A causal base with ``pooling: last`` trains, and loads back scoring the same (the pooling is part of the
    saved config, so the loaded head reads the same token); its scores differ from mean pooling's."""
    monkeypatch.setenv("ACCORD_CHECKPOINTS", str(tmp_path / "ckpt"))
    _, val_texts, _ = splits["real_validation"]
    clf, _ = _first_epoch(splits, tiny_causal_lm, 24, 8, batch_size=8, pooling="last")
    again = load_classifier(clf.save(tmp_path / "clf"))
    assert again.config.minilm.pooling == "last"
    np.testing.assert_allclose(again.predict_proba(val_texts[:4]), clf.predict_proba(val_texts[:4]), atol=1e-6)
    mean, _ = _first_epoch(splits, tiny_causal_lm, 24, 8, batch_size=8, pooling="mean")
    assert not np.allclose(mean.predict_proba(val_texts[:4]), clf.predict_proba(val_texts[:4]))


def test_length_grouped_batches_change_the_order_not_the_data(splits: dict, tiny_encoder: Path, tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """``minilm.sampling: group_by_length`` hands the Trainer a length-grouped sampler: the same sentences in another
    order (another first-epoch loss)."""
    monkeypatch.setenv("ACCORD_CHECKPOINTS", str(tmp_path / "ckpt"))
    losses = {}
    for sampling in ("random", "group_by_length"):
        clf, losses[sampling] = _first_epoch(splits, tiny_encoder, 32, 8, batch_size=4, sampling=sampling)
        assert clf._training_arguments(tmp_path).train_sampling_strategy == sampling
    assert losses["random"] != losses["group_by_length"]


def test_each_epoch_is_scored_on_a_seeded_sample_of_validation_when_asked(
        splits: dict, tiny_encoder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``minilm.eval_sentences`` scores each epoch on a seeded sample of validation (in order); 0 scores all."""
    from accord.classify.model import TransformerClassifier, _epoch_sample

    texts, y = [f"s{i}" for i in range(10)], np.arange(10)
    assert _epoch_sample(texts, y, 0, 1) == (texts, y) and _epoch_sample(texts, y, 10, 1)[0] == texts
    sample, sy = _epoch_sample(texts, y, 4, 1)
    assert len(sample) == 4 and sample == [texts[i] for i in sy] and list(sy) == sorted(sy)
    assert _epoch_sample(texts, y, 4, 1)[0] == sample and _epoch_sample(texts, y, 4, 2)[0] != sample
    monkeypatch.setenv("ACCORD_CHECKPOINTS", str(tmp_path / "ckpt"))
    encode, sizes = TransformerClassifier._encode, []
    monkeypatch.setattr(TransformerClassifier, "_encode",
                        lambda self, t, labels: sizes.append(len(t)) or encode(self, t, labels))
    _first_epoch(splits, tiny_encoder, 24, 16, batch_size=8, eval_sentences=6)
    assert sizes == [24, 6]


def test_the_tail_average_is_the_mean_of_the_weights_at_the_sampled_steps() -> None:
    """``minilm.average_tail``: with 30 planned steps and a share of 0.5 the tail starts after step 15 and samples
    every tenth step and the last (25 and 30); the loaded weights are those two states' mean, integer buffers stay."""
    from types import SimpleNamespace

    import torch

    from accord.classify.model import _tail_averager

    assert _tail_averager(0.0, {}) == []
    notes: dict[str, float] = {}
    (averager,) = _tail_averager(0.5, notes)
    model = torch.nn.Linear(2, 1)
    model.register_buffer("ids", torch.arange(3))
    for step in range(1, 31):
        with torch.no_grad():
            model.weight.fill_(float(step))
        averager.on_step_end(None, SimpleNamespace(global_step=step, max_steps=30), None, model=model)
    averager.on_train_end(None, None, None, model=model)
    assert torch.equal(model.weight, torch.full((1, 2), 27.5)) and torch.equal(model.ids, torch.arange(3))
    assert notes == {"averaged_steps": 2.0}


def test_a_tail_averaged_minilm_serves_other_weights_than_the_epoch_kept(
        splits: dict, tiny_encoder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The same seed and data with and without ``minilm.average_tail``: the same training, other served weights,
    and the saved model loads back with the averaged weights' scores."""
    monkeypatch.setenv("ACCORD_CHECKPOINTS", str(tmp_path / "ckpt"))
    _, val_texts, _ = splits["real_validation"]
    plain, loss = _first_epoch(splits, tiny_encoder, 48, 8, batch_size=2, learning_rate=1e-2)
    averaged, averaged_loss = _first_epoch(splits, tiny_encoder, 48, 8, batch_size=2, learning_rate=1e-2,
                                           average_tail=0.5)
    assert loss == averaged_loss and plain.train_notes == {} and averaged.train_notes == {"averaged_steps": 2.0}
    assert not np.allclose(plain.predict_proba(val_texts[:4]), averaged.predict_proba(val_texts[:4]))
    again = load_classifier(averaged.save(tmp_path / "clf"))
    np.testing.assert_allclose(again.predict_proba(val_texts[:4]), averaged.predict_proba(val_texts[:4]), atol=1e-6)


def test_the_head_initialisation_does_not_depend_on_resolving_the_base(
        splits: dict, tiny_encoder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A first run converts Gemma while resolving its base, which may draw random numbers; the same seed must give
    the same fresh head whether the base was converted in this process or found in the cache."""
    import torch

    import accord.classify.model as model_module

    monkeypatch.setenv("ACCORD_CHECKPOINTS", str(tmp_path / "ckpt"))
    y = splits["train"][2]
    cfg = make_config(ClassifierConfig, family="minilm", base_model=str(tiny_encoder), max_length=32)
    resolve, heads = model_module.resolve_base, []
    for draws in (0, 1000):
        monkeypatch.setattr(model_module, "resolve_base", lambda base, n=draws: torch.rand(n) is not None
                            and resolve(base))
        clf = build_classifier(cfg)
        clf._init_model(np.asarray(y[:8]))
        heads.append({k: v for k, v in clf.model.state_dict().items() if "encoder." not in k})
    assert heads[0] and all(torch.equal(v, heads[1][k]) for k, v in heads[0].items())


def test_a_decoder_base_trains_with_its_embeddings_frozen(splits: dict, tiny_causal_lm: Path, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """Any HF checkpoint is a base, a causal LM too (how gemma.yaml fine-tunes Gemma): with ``freeze_embeddings``
    the token embeddings leave training as they came, while the layers above them learn."""
    import torch
    from transformers import AutoModel

    monkeypatch.setenv("ACCORD_CHECKPOINTS", str(tmp_path / "ckpt"))
    base = AutoModel.from_pretrained(tiny_causal_lm)
    clf, _ = _first_epoch(splits, tiny_causal_lm, 24, 8, batch_size=8, freeze_embeddings=True, learning_rate=1e-2)
    trained = clf.model.encoder
    assert torch.equal(trained.get_input_embeddings().weight, base.get_input_embeddings().weight)
    assert not torch.equal(trained.layers[0].mlp.up_proj.weight, base.layers[0].mlp.up_proj.weight)
    again = load_classifier(clf.save(tmp_path / "clf"))
    _, val_texts, _ = splits["real_validation"]
    np.testing.assert_allclose(again.predict_proba(val_texts[:4]), clf.predict_proba(val_texts[:4]), atol=1e-6)


def test_a_member_from_a_config_file_keeps_its_own_settings(splits: dict, tmp_path: Path, tiny_encoder: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """``members: tfidf,member.yaml``: the file's member trains with its own family, base and seed, on the ensemble's
    data; its settings are logged with the ensemble's, and the fitted ensemble loads back with the same scores."""
    monkeypatch.setenv("ACCORD_CHECKPOINTS", str(tmp_path / "ckpt"))
    from accord.classify.config import member_configs

    (tmp_path / "member.yaml").write_text(f"family: minilm\nseed: 3\nminilm:\n  base_model: {tiny_encoder}\n"
                                          "  epochs: 1\n", encoding="utf-8")
    cfg = make_config(ClassifierConfig, family="ensemble", seed=7, members=f"tfidf,{tmp_path / 'member.yaml'}",
                      **{"data.sentences_path": "elsewhere.jsonl"})
    ensemble = build_classifier(cfg)
    assert [(m.family, m.config.seed) for m in ensemble.members] == [("tfidf", 7), ("minilm", 3)]
    assert ensemble.members[1].config.minilm.epochs == 1
    assert member_configs(cfg)[1].data.sentences_path == "elsewhere.jsonl"
    logged = cfg.family_settings()["ensemble"]["member_configs"][str(tmp_path / "member.yaml")]
    assert logged["minilm"]["epochs"] == 1 and "data" not in logged and "tfidf" not in logged
    _, texts, y = splits["train"]
    _, val_texts, val_y = splits["real_validation"]
    ensemble.fit(texts[:24], y[:24], val_texts[:8], val_y[:8])
    probs = ensemble.predict_proba(val_texts[:5])
    loaded = load_classifier(ensemble.save(tmp_path / "m"))  # the members' own configs travel in their folders
    assert [m.config.seed for m in loaded.members] == [7, 3]
    assert np.allclose(loaded.predict_proba(val_texts[:5]), probs, atol=1e-6)


def test_a_shipped_member_file_is_found_by_name_and_a_bad_one_is_named() -> None:
    from accord.classify.config import base_problems, member_configs
    from accord.config import ConfigError

    gemma = member_configs(make_config(ClassifierConfig, family="ensemble", members="minilm.yaml,gemma.yaml"))[1]
    assert gemma.minilm.base_model == "gemma-3-270m" and gemma.minilm.freeze_embeddings
    with pytest.raises(ConfigError, match=r"nowhere\.yaml: no such config file"):
        base_problems(make_config(ClassifierConfig, family="ensemble", members="minilm,nowhere.yaml"))
    with pytest.raises(ConfigError, match=r"minilm_seeds\.yaml: an ensemble member is one classifier"):
        member_configs(make_config(ClassifierConfig, family="ensemble", members="minilm_seeds.yaml"))
    with pytest.raises(ValueError, match=r"families out of tfidf, minilm, setfit, \.yaml config files or "
                                         r"registered versions"):
        make_config(ClassifierConfig, family="ensemble", members="minilm,bert")


def test_member_overrides_reach_the_members_files_and_a_bad_one_stops_the_run(tmp_path: Path) -> None:
    """``ensemble.member_overrides`` shortens the members a file brings (a smoke run of ``minilm_gemma.yaml``):
    unscoped to every file member, ``file.yaml:`` to one; an unknown key or member is named before any run."""
    from accord.classify.config import member_config_path, member_configs
    from accord.config import ConfigError, load_config

    shipped = load_config(ClassifierConfig, member_config_path("minilm.yaml")).minilm.epochs
    cfg = make_config(ClassifierConfig, family="ensemble", members="minilm.yaml,gemma.yaml",
                      **{"ensemble.member_overrides": "minilm.max_steps=2; gemma.yaml:minilm.epochs=1"})
    minilm, gemma = member_configs(cfg)
    assert (minilm.minilm.max_steps, gemma.minilm.max_steps) == (2, 2)
    assert (minilm.minilm.epochs, gemma.minilm.epochs) == (shipped, 1) and shipped != 1
    assert gemma.minilm.base_model == "gemma-3-270m"  # the rest of the file is kept
    logged = cfg.family_settings()["ensemble"]["member_configs"]["gemma.yaml"]
    assert logged["minilm"]["epochs"] == 1 and logged["minilm"]["max_steps"] == 2
    bad = make_config(ClassifierConfig, family="ensemble", members="minilm.yaml",
                      **{"ensemble.member_overrides": "minilm.epoch=1"})
    with pytest.raises(ConfigError, match=r"minilm\.yaml \+ overrides|override 'minilm\.epoch=1'"):
        member_configs(bad)
    with pytest.raises(ValueError, match=r"'gemma\.yaml' is not a member from a config file \(minilm\.yaml or "
                                         r"member0\)"):
        make_config(ClassifierConfig, family="ensemble", members="minilm.yaml",
                    **{"ensemble.member_overrides": "gemma.yaml:minilm.epochs=1"})
    with pytest.raises(ValueError, match=r"'minilm\.epochs': expected key=value"):
        make_config(ClassifierConfig, family="ensemble", members="minilm.yaml",
                    **{"ensemble.member_overrides": "minilm.epochs"})


def test_a_file_named_twice_is_told_apart_by_its_place_and_overrides_without_file_members_are_refused() -> None:
    """``member2:`` scopes an override to one member by its place (counted from 0, as the metrics name members), so
    one file can serve twice with one setting changed; the more specific scope wins. Overrides with no member from
    a file would be silently unused, so they are refused."""
    from accord.classify.config import member_configs

    cfg = make_config(ClassifierConfig, family="ensemble", members="minilm.yaml,gemma.yaml,gemma.yaml",
                      **{"ensemble.member_overrides": "member2:minilm.pooling=last; minilm.epochs=2; "
                                                      "gemma.yaml:minilm.epochs=1; member1:minilm.epochs=3"})
    minilm, first, second = member_configs(cfg)
    assert (first.minilm.pooling, second.minilm.pooling) == ("mean", "last")
    assert (minilm.minilm.epochs, first.minilm.epochs, second.minilm.epochs) == (2, 3, 1)
    logged = cfg.family_settings()["ensemble"]["member_configs"]
    assert sorted(logged) == ["member1:gemma.yaml", "member2:gemma.yaml", "minilm.yaml"]
    assert logged["member2:gemma.yaml"]["minilm"]["pooling"] == "last"
    with pytest.raises(ValueError, match=r"'member3' is not a member from a config file"):
        make_config(ClassifierConfig, family="ensemble", members="minilm.yaml,gemma.yaml",
                    **{"ensemble.member_overrides": "member3:minilm.epochs=1"})
    with pytest.raises(ValueError, match=r"'member0' is not a member from a config file"):
        make_config(ClassifierConfig, family="ensemble", members="minilm,gemma.yaml",
                    **{"ensemble.member_overrides": "member0:minilm.epochs=1"})
    with pytest.raises(ValueError, match=r"no member is a config file"):
        make_config(ClassifierConfig, family="ensemble", members="minilm,tfidf",
                    **{"ensemble.member_overrides": "minilm.epochs=1"})


def test_a_saved_tokenizer_loads_from_its_file_with_the_same_ids(tiny_encoder: Path, tmp_path: Path) -> None:
    """``encoder.load_tokenizer`` skips the model-specific class (seconds for Gemma's) but keeps what it would give:
    ids, masks, token types, the pad id, and the class's padding side where the config does not set one."""
    import json
    import shutil

    from transformers import AutoTokenizer

    from accord.classify.encoder import load_tokenizer

    texts = ["The two ministers agreed to expand defence industry cooperation.", "Visas.", "x " * 200]
    fast, auto = load_tokenizer(tiny_encoder), AutoTokenizer.from_pretrained(tiny_encoder)
    got, want = fast(texts, truncation=True, max_length=32), auto(texts, truncation=True, max_length=32)
    assert sorted(got.keys()) == sorted(want.keys()) and all(got[k] == want[k] for k in want)
    assert (fast.pad_token_id, fast.padding_side) == (auto.pad_token_id, auto.padding_side)
    left = tmp_path / "left"
    shutil.copytree(tiny_encoder, left)
    config = json.loads((left / "tokenizer_config.json").read_text(encoding="utf-8"))
    config.pop("padding_side", None)
    (left / "tokenizer_config.json").write_text(json.dumps(config | {"tokenizer_class": "GemmaTokenizer"}),
                                                encoding="utf-8")
    assert load_tokenizer(left).padding_side == "left"  # GemmaTokenizer's own
    same = tmp_path / "same"  # another member's folder with the same files: one tokenizer per process
    shutil.copytree(tiny_encoder, same)
    assert load_tokenizer(same) is fast and load_tokenizer(left) is not fast
