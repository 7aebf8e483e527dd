"""The one exception type for a user's mistake: its message is shown as is, never a traceback."""


class UserError(Exception):
    """A problem the user can fix (a bad file, option or setting); the message says what and where."""

    exit_code = 1


class UsageError(UserError):
    """A command used wrongly (unknown term, bad option); exits 2 as the spec asks."""

    exit_code = 2
