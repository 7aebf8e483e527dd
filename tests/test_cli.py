"""The command line as a whole: every command has help, is documented, and exits as docs/reference/exit-codes.md says."""

import subprocess
import sys
from pathlib import Path

import pytest


ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "docs"))
import gen_reference  # noqa: E402  (docs/gen_reference.py, which writes the CLI reference)

# What a reader sees: the README and the hand-written pages of the docs site (the CLI reference is generated).
DOCUMENTED = "\n".join(p.read_text("utf-8") for p in [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))])
COMMANDS = gen_reference.cli_commands()  # (command words, its parser, its help text), as the CLI reference lists them


def test_every_spec_command_exists():
    names = {words for words, _, _ in COMMANDS}
    assert {"load", "rejects", "indicators", "report termly", "report annual", "demo", "check"} <= names


@pytest.mark.parametrize("words, parser, help_text", COMMANDS, ids=[c[0] for c in COMMANDS])
def test_each_command_has_help_and_is_documented(words, parser, help_text):
    assert len(help_text) > 10, f"`{words}` has no help text"
    assert f"`{words}" in DOCUMENTED or f"policy-analytics {words}" in DOCUMENTED, \
        f"neither the README nor a page under docs/ documents `{words}`"
    for action in parser._actions:
        if action.option_strings and action.dest != "help":
            assert action.help, f"`{words} {action.option_strings[0]}` has no help text"


@pytest.mark.parametrize("words", ["load", "rejects", "indicators", "report termly", "report annual", "demo", "check"])
def test_every_command_takes_db_and_config(words):
    parser = dict((w, p) for w, p, _ in COMMANDS)[words]
    options = {o for action in parser._actions for o in action.option_strings}
    assert {"--db", "--config"} <= options


def test_usage_error_exits_2_with_one_line_and_no_traceback():
    result = subprocess.run(
        [sys.executable, "-m", "policy_analytics", "indicators", "--term", "2025-26-autumn", "--year", "2025-26"],
        capture_output=True, text=True,
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith("policy-analytics:")


def test_unknown_command_exits_2():
    result = subprocess.run([sys.executable, "-m", "policy_analytics", "frobnicate"], capture_output=True, text=True)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
