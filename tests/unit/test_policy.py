from pathlib import Path

import pytest

from scoring.policy import PolicyError, default_policy, default_policy_text, load_policy_file, parse_policy

SPEC_MATRIX = {
    ("kunde", "hoch"): "A",
    ("kunde", "mittel"): "B",
    ("kunde", "unbekannt"): "B",
    ("kunde", "niedrig"): "C",
    ("unklar", "hoch"): "B",
    ("unklar", "mittel"): "C",
    ("unklar", "unbekannt"): "C",
    ("unklar", "niedrig"): "C",
    ("patient", "hoch"): "C",
    ("patient", "mittel"): "D",
    ("patient", "unbekannt"): "D",
    ("patient", "niedrig"): "D",
}


@pytest.mark.parametrize(("cell", "tier"), SPEC_MATRIX.items())
def test_default_policy_matches_spec(cell, tier):
    assert default_policy().tier_name(*cell) == tier


def test_tier_is_described_in_both_languages():
    de, en = default_policy().tier("kunde", "hoch", "de"), default_policy().tier("kunde", "hoch", "en")
    assert (de.label, en.label) == ("Investieren", "Invest")
    assert "2-4" in de.time_investment and "2-4" in en.time_investment


def test_team_policy_file_is_loaded(tmp_path: Path):
    text = default_policy_text().replace('[matrix.unklar]\nhoch = "B"', '[matrix.unklar]\nhoch = "A"')
    path = tmp_path / "policy.toml"
    path.write_text(text, encoding="utf-8")
    assert load_policy_file(path).tier_name("unklar", "hoch") == "A"


@pytest.mark.parametrize(
    ("broken", "message"),
    [
        ("not = [valid", "not valid TOML"),
        (default_policy_text().replace('[matrix.patient]\nhoch = "C"\n', "[matrix.patient]\n"), "lacks value level"),
        (default_policy_text().replace('hoch = "A"', 'hoch = "E"'), "matrix.kunde.hoch"),
        (default_policy_text().split("[tiers.D]")[0], "tiers lacks D"),
    ],
)
def test_invalid_policy_names_the_problem(broken, message):
    with pytest.raises(PolicyError, match=message):
        parse_policy(broken, "team.toml")


def test_missing_policy_file_is_a_clear_error(tmp_path: Path):
    with pytest.raises(PolicyError, match="cannot be read"):
        load_policy_file(tmp_path / "nope.toml")
