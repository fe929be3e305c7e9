"""Every shipped config file loads and validates as its command would load it (a broken file fails here, not in
``make run``), and bad values are refused before a run starts."""

from __future__ import annotations

import pytest

from accord import paths
from accord.classify.config import ClassifierConfig
from accord.config import ConfigError, load_config
from accord.data.datasets import DataConfig
from accord.summarise.config import SummariserConfig

SHIPPED = [(ClassifierConfig, p) for p in sorted((paths.CONFIGS_DIR / "classifier").glob("*.yaml"))] + [
    (SummariserConfig, p) for p in sorted((paths.CONFIGS_DIR / "summariser").glob("*.yaml"))]


@pytest.mark.parametrize(("cls", "path"), SHIPPED, ids=[p.stem for _, p in SHIPPED])
def test_shipped_configs_validate(cls: type, path) -> None:
    cfg = load_config(cls, path, [], {"data": paths.DATA_CONFIG_FILE})
    assert cfg is not None


def test_data_config_validates() -> None:
    assert load_config(DataConfig, paths.DATA_CONFIG_FILE, []) is not None


def test_mix_shares_over_one_are_refused_with_the_section_named_once() -> None:
    with pytest.raises(ConfigError, match=r"^mix\.reports_share \+ real_share must be at most 1") as exc:
        load_config(SummariserConfig, paths.CONFIGS_DIR / "summariser" / "quick.yaml", ["reports_share=0.8"],
                    {"data": paths.DATA_CONFIG_FILE})
    assert "mix.mix." not in str(exc.value)


def test_an_override_value_that_reads_as_a_mapping_stays_text() -> None:
    """``key=a: b`` sets the text "a: b" (a scoped member override); YAML alone would make it a mapping and the
    error would name the wrong setting. A number field still refuses it by name."""
    members = "ensemble.members=minilm.yaml,gemma.yaml"
    cfg = load_config(ClassifierConfig, None, ["family=ensemble", members,
                                               "ensemble.member_overrides=gemma.yaml: minilm.epochs=1"])
    assert cfg.ensemble.member_overrides == "gemma.yaml: minilm.epochs=1"
    assert cfg.ensemble.overrides_for(1, "gemma.yaml") == ["minilm.epochs=1"]
    assert cfg.ensemble.overrides_for(0, "minilm.yaml") == []
    with pytest.raises(ConfigError, match=r"minilm\.epochs"):
        load_config(ClassifierConfig, None, ["minilm.epochs=a: b"])


def test_a_mistyped_name_is_answered_with_the_closest_one() -> None:
    with pytest.raises(ConfigError, match=r"unknown setting 'lerning_rate' \(did you mean 'minilm\.learning_rate'\?\)"):
        load_config(ClassifierConfig, None, ["lerning_rate=1e-4"])
    with pytest.raises(ConfigError, match=r"unknown section 'minlm' \(did you mean 'minilm'\?\)"):
        load_config(ClassifierConfig, None, ["minlm.epochs=2"])
    with pytest.raises(ConfigError, match=r"unknown setting 'xyzzy'; known: "):  # nothing close: no guess
        load_config(ClassifierConfig, None, ["xyzzy=1"])
