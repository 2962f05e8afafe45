"""The one exception hierarchy of xunfang.

Every error a user can cause is one of these, carries a message that says what was wrong and
what was expected, and is mapped once to an exit code (CLI) or an HTTP status (API). Build the
message, then raise: ``raise InvalidInput(f"...")``.
"""

from __future__ import annotations


class XunfangError(Exception):
    """Base class: an error with a message fit to show the user as one line."""

    exit_code = 2
    http_status = 400

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field

    def __str__(self) -> str:
        return self.message


class InvalidInput(XunfangError, ValueError):
    """A value, field or argument is malformed or out of range."""

    http_status = 422


class DataNotFound(XunfangError, FileNotFoundError):
    """A file or data set the command needs is missing."""

    exit_code = 3
    http_status = 404


class CorruptData(XunfangError, ValueError):
    """A file exists but cannot be read as the format it claims to be."""

    exit_code = 3
    http_status = 422


class CRSError(InvalidInput):
    """An unknown or mismatched coordinate reference system."""


class NotFound(XunfangError, LookupError):
    """A record (incident, unit, plan, ...) with that id does not exist."""

    http_status = 404


class Forbidden(XunfangError):
    """The caller is known but this role, jurisdiction or unit may not do that."""

    http_status = 403


class Conflict(XunfangError):
    """The request clashes with the current state (double assignment, wrong lifecycle step)."""

    http_status = 409


class Infeasible(XunfangError):
    """A planning request cannot be met (more posts than candidates, no sworn officer, ...)."""

    http_status = 422


class Unavailable(XunfangError):
    """A dependency (database, disk) is temporarily unavailable; retry later."""

    exit_code = 4
    http_status = 503
