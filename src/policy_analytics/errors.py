"""The one exception type for a user's mistake: its message is shown as is, never a traceback."""

import shlex
from pathlib import Path


class UserError(Exception):
    """A problem the user can fix (a bad file, option or setting); the message says what and where."""

    exit_code = 1


class UsageError(UserError):
    """A command used wrongly (unknown term, bad option); exits 2 as the spec asks."""

    exit_code = 2


def hint_options(warehouse: str | Path | None, settings_path: str | Path | None) -> str:
    """The --db and --config given, as a hint naming another command repeats them: " --db X --config Y"."""
    return "".join(f" --{option} {shlex.quote(str(value))}" for option, value in
                   (("db", warehouse), ("config", settings_path)) if value)
