"""Errors a user can cause. Each is one line on stderr and exit code 2 (the CLI's guard
catches :class:`UserError`); none is a failure of kpispec itself."""

from __future__ import annotations


class UserError(Exception):
    """Something the user can fix (a bad option, config, path or file): its message is
    the whole line the user sees."""


class ConfigError(UserError):
    """A bad config file, key or value."""


class UsageError(UserError):
    """A bad option value (an unknown code, say)."""


class PathError(UserError):
    """A path named on the command line does not exist or cannot be used."""


class GitError(UserError):
    """git is missing, this is not a repository, or a revision cannot be read."""


class BaselineError(UserError):
    """A baseline file that cannot be read or is not one."""


class ReportError(UserError):
    """A report that cannot be made as asked (an unknown --goal or --scope)."""


class InputError(UserError):
    """An input ``kpispec import`` cannot use."""


class InitError(UserError):
    """``kpispec init`` cannot start a catalog here."""
