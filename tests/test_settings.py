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


# --- the typed table of keys ---------------------------------------------------------------------

from policy_analytics.settings import SETTINGS_KEYS, setting_key  # noqa: E402

# For each key: a value of the wrong type, as a school might write it in TOML.
WRONG_TYPE = {
    "organisation.name": "12",
    "organisation.schools": '"Oakfield Primary School"',
    "policy.version": "2024.10",
    "policy.last_reviewed": "true",
    "policy.review_due": "12",
    "policy.review_interval_months": '"12"',
    "policy.document": "3",
    "targets.removal_hours": '"48"',
    "targets.removal_within_target_pct": '"90"',
    "targets.acknowledgement_coverage_pct": "true",
    "targets.significant_incidents": "1.5",
    "targets.incident_rise_ratio": '"1.5"',
    "targets.incident_rise_min": '"5"',
    "targets.wide_spread_shares": "[20]",
    "targets.wide_spread_platforms": '"3"',
    "significant.severities": '"high"',
    "significant.police_referral": '"yes"',
    "significant.safeguarding": "1",
    "reporting.suppress_below": '"3"',
    "review_events.extra_file": "3",
}


def _write(tmp_path, section, key, value):
    config = tmp_path / "school.toml"
    config.write_text(f"[{section}]\n{key} = {value}\n")
    return config


def test_every_key_of_the_table_has_a_wrong_type_case():
    typed = {e.name for e in SETTINGS_KEYS if e.section != "terms"}
    assert typed == set(WRONG_TYPE)


def test_the_table_defaults_are_the_shipped_file(tmp_path):
    import tomllib
    from importlib import resources

    shipped = tomllib.loads(resources.files("policy_analytics").joinpath("data/default_settings.toml").read_text())
    for entry in SETTINGS_KEYS:
        if entry.section != "terms":
            assert shipped[entry.section][entry.key] == entry.default, entry.name
    assert all(e.meaning.endswith(".") for e in SETTINGS_KEYS)


@pytest.mark.parametrize("name", sorted(WRONG_TYPE))
def test_a_key_of_the_wrong_type_is_named_plainly(tmp_path, name):
    section, key = name.split(".")
    config = _write(tmp_path, section, key, WRONG_TYPE[name])
    with pytest.raises(UserError) as caught:
        load_settings(config)
    message = str(caught.value)
    assert f"{name} = " in message
    assert "must be " + setting_key(name).expected() in message
    assert str(config) in message


@pytest.mark.parametrize(
    "name, value, words",
    [
        ("targets.removal_hours", '"48"', 'targets.removal_hours = "48" is text, but it must be a number from 1 to 8760'),
        ("targets.removal_hours", "-5", "is out of range"),
        ("targets.incident_rise_min", '"5"', "Write it without quotes"),
        ("organisation.schools", '"Oakfield Primary School"', 'organisation.schools = "Oakfield Primary School" is text'),
        ("reporting.suppress_below", "1", "reporting.suppress_below = 1 is out of range, but it must be a whole number from 2"),
        ("targets.removal_within_target_pct", "101", "is out of range"),
        ("policy.version", "2024.10", "Write it in quotes"),
        ("significant.severities", '["high", "urgent"]', 'holds "urgent"'),
        ("targets.significant_incidents", "0", "is out of range"),
    ],
)
def test_values_out_of_range_or_mistyped_say_what_is_expected(tmp_path, name, value, words):
    section, key = name.split(".")
    with pytest.raises(UserError) as caught:
        load_settings(_write(tmp_path, section, key, value))
    assert words in str(caught.value)


def test_well_typed_values_are_kept(tmp_path):
    config = tmp_path / "ok.toml"
    config.write_text('[targets]\nremoval_hours = 48\nincident_rise_ratio = 2\n[reporting]\nsuppress_below = 2\n'
                      '[significant]\nseverities = ["Critical"]\n[policy]\nreview_due = ""\n')
    settings = load_settings(config)
    assert settings.targets.removal_hours == 48
    assert settings.targets.incident_rise_ratio == 2
    assert settings.suppress_below == 2
    assert settings.significant.severities == ("critical",)
    assert settings.review_due is None


def test_term_dates_out_of_order_name_the_file(tmp_path):
    config = tmp_path / "terms.toml"
    config.write_text('[terms]\n"2025-26-spring" = [2026-05-01, 2026-06-01]\n')  # after Easter Monday 2026
    with pytest.raises(UserError) as caught:
        load_settings(config)
    assert str(config) in str(caught.value) and "out of order" in str(caught.value)


def test_the_cli_refuses_a_mistyped_setting_in_one_plain_line(tmp_path, capsys):
    from policy_analytics import cli

    config = _write(tmp_path, "targets", "removal_hours", '"48"')
    assert cli.main(["indicators", "--year", "2025-26", "--config", str(config), "--db", str(tmp_path / "w.duckdb")]) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert 'targets.removal_hours = "48" is text' in err
