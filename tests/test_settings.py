"""Settings: shipped defaults, the school's own TOML overlaid, and plain errors for mistakes."""

from datetime import date

import pytest

from policy_analytics.errors import UserError
from policy_analytics.settings import Settings, load_settings


def test_defaults_match_the_spec():
    settings = load_settings(None)
    assert settings.organisation_name == "Example Academy Trust"
    assert settings.schools == ("Example Primary School",)
    assert settings.policy_version == "2024-10"
    assert settings.last_reviewed == date(2024, 10, 1)
    assert settings.review_due == date(2026, 10, 1)
    assert settings.review_interval_months == 12
    assert settings.targets.removal_hours == 24
    assert settings.targets.removal_within_target_pct == 90
    assert settings.targets.acknowledgement_coverage_pct == 95
    assert settings.targets.incident_rise_ratio == 1.5
    assert settings.significant.severities == ("high", "critical")
    assert settings.suppress_below == 3
    assert settings.terms == {}


def test_own_file_overrides_only_what_it_sets(tmp_path):
    config = tmp_path / "school.toml"
    config.write_text(
        '[organisation]\nschools = ["A School", "B School"]\n'
        "[targets]\nremoval_hours = 12\n"
        '[terms]\n"2025-26-autumn" = [2025-09-03, 2025-12-19]\n'
    )
    settings = load_settings(config)
    assert settings.targets.removal_hours == 12
    assert settings.targets.removal_within_target_pct == 90
    assert settings.default_school == "Unassigned"
    assert settings.terms == {"2025-26-autumn": (date(2025, 9, 3), date(2025, 12, 19))}
    assert settings.review_events_file == tmp_path / "review_events.csv"


def test_environment_variable_names_the_file(tmp_path, monkeypatch):
    config = tmp_path / "env.toml"
    config.write_text('[policy]\nversion = "2025-09"\n')
    monkeypatch.setenv("POLICY_ANALYTICS_CONFIG", str(config))
    assert load_settings(None).policy_version == "2025-09"


def test_single_school_is_the_default_for_blank_cells():
    assert Settings(schools=("Only School",)).default_school == "Only School"


@pytest.mark.parametrize(
    "text, words",
    [
        ("[targets]\nremoval_hour = 12\n", "targets.removal_hour"),
        ("[target]\nremoval_hours = 12\n", "[target]"),
        ('[terms]\n"2025-26-winter" = [2025-12-01, 2026-02-01]\n', "2025-26-winter"),
        ('[terms]\n"2025-26-autumn" = [2025-12-19, 2025-09-03]\n', "ends before it starts"),
        ("[policy]\nlast_reviewed = 'soon'\n", "policy.last_reviewed"),
        ("[policy\n", "not valid TOML"),
    ],
)
def test_mistakes_in_the_file_are_named(tmp_path, text, words):
    config = tmp_path / "bad.toml"
    config.write_text(text)
    with pytest.raises(UserError) as caught:
        load_settings(config)
    assert words in str(caught.value)
    assert str(config) in str(caught.value)


def test_missing_file_is_a_plain_error(tmp_path):
    with pytest.raises(UserError, match="does not exist"):
        load_settings(tmp_path / "nope.toml")
