"""The command line as a whole: every command has help, is in the README, and exits as SPEC 9 says."""

import argparse
import subprocess
import sys
from pathlib import Path

import pytest

from policy_analytics import cli

README = (Path(__file__).resolve().parents[1] / "README.md").read_text("utf-8")


def _commands(parser: argparse.ArgumentParser, prefix: str = "") -> list[tuple[str, argparse.ArgumentParser, str]]:
    """(command words, its parser, its help text) for every command and sub-command."""
    found = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            helps = {choice.dest: choice.help for choice in action._choices_actions}
            for name, sub in action.choices.items():
                words = f"{prefix}{name}"
                found.append((words, sub, helps.get(name) or ""))
                found.extend(_commands(sub, words + " "))
    return found


COMMANDS = _commands(cli.build_parser())


def test_every_spec_command_exists():
    names = {words for words, _, _ in COMMANDS}
    assert {"load", "rejects", "indicators", "report termly", "report annual", "demo", "check"} <= names


@pytest.mark.parametrize("words, parser, help_text", COMMANDS, ids=[c[0] for c in COMMANDS])
def test_each_command_has_help_and_is_in_the_readme(words, parser, help_text):
    assert len(help_text) > 10, f"`{words}` has no help text"
    assert f"`{words}" in README, f"the README does not document `{words}`"
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
