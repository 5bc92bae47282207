"""Domain errors: each one says what went wrong in words a user can act on."""

from __future__ import annotations


class DoleanceError(Exception):
    """Base class of every error the engine reports to users."""


class NotFound(DoleanceError):
    pass


class InvalidInput(DoleanceError):
    """Submitted data is not acceptable; ``errors`` maps field names to messages.

    ``code`` names the problem for screens that word it in the reader's language.
    """

    def __init__(
        self, message: str, errors: dict[str, list[str]] | None = None, code: str | None = None
    ):
        super().__init__(message)
        self.errors = errors or {}
        self.code = code


class NotAllowed(DoleanceError):
    pass


class TaskAlreadyCompleted(DoleanceError):
    pass


class TaskAlreadyClaimed(DoleanceError):
    pass


class ConcurrentUpdate(DoleanceError):
    """Someone else changed the same complaint at the same time; reload and retry."""


class ProcessError(DoleanceError):
    """The process itself failed (a script or condition in a diagram raised)."""


class ConfigurationError(DoleanceError):
    """A setting (an environment variable) has a value the engine cannot use."""


class DeploymentError(DoleanceError):
    """Process files are not valid; ``problems`` lists each one."""

    def __init__(self, message: str, problems: list | None = None):
        super().__init__(message)
        self.problems = problems or []
