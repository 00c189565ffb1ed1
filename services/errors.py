"""The failures the core reports. The UI and the headless commands map each class to one message.

Every error carries a message fit to show a person as it is: no traceback, no secret, no raw reply.
"""

from __future__ import annotations


class CcoUnlinkError(Exception):
    """Base of every failure cco-unlink reports to a person."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class SettingsError(CcoUnlinkError):
    """The settings file or a command-line value cannot be used."""

    def __init__(self, message: str, *, file: str = "", line: int = 0, column: int = 0) -> None:
        where = file
        if file and line:
            where = f"{file}:{line}:{column}" if column else f"{file}:{line}"
        super().__init__(f"{where}: {message}" if where else message)
        self.file = file
        self.line = line
        self.column = column


class AuditUnwritableError(CcoUnlinkError):
    """The audit log cannot take a line: no change may be sent until it can."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(
            f"The audit log at {path} cannot be written ({reason}), so nothing was sent or "
            "changed. Fix the file or [audit] path and try again."
        )
        self.path = path
        self.reason = reason


class CacheUnreadableError(CcoUnlinkError):
    """The cached list stopped being readable part-way: the list is then loaded afresh."""


class ProcoreError(CcoUnlinkError):
    """Procore answered with a failure, or could not be asked."""


class ProcoreAuthError(ProcoreError):
    """Sign-in failed, or the token expired or was revoked: the person must sign in again."""


class ProcoreSignInRequiredError(ProcoreAuthError):
    """A person must sign in (again) through the authorize page: no stored sign-in, or Procore
    refused the one there was. The UI answers it with the sign-in screen."""


class ProcorePermissionError(ProcoreError):
    """Procore refused: a permission is missing, the tool is off, or the company is out of reach."""

    def __init__(self, message: str, *, reason: str = "") -> None:
        super().__init__(message)
        self.reason = reason


class ProcoreNotFoundError(ProcoreError):
    """The record does not exist, or this user may not see it."""


class ProcoreRateLimitError(ProcoreError):
    """Procore kept answering 429 after the client waited as long as it may."""


class ProcoreUnavailableError(ProcoreError):
    """Procore could not be reached, timed out, or answered 5xx."""


class ProcoreUnreachableError(ProcoreUnavailableError):
    """Nothing answered at Procore's address: refused, reset, or no connection made."""


class ProcoreRequestError(ProcoreError):
    """Procore refused the request as malformed or against a business rule (400, 409, 422)."""


class ProcoreItemsRefusedError(ProcoreError):
    """Procore answered a sync action (200) but listed some of the items sent under `errors`."""


class ProcoreReplyError(ProcoreError):
    """Procore's reply could not be read: not JSON, or a field missing or of the wrong type."""


class ProcoreOutcomeUnknownError(ProcoreError):
    """A change was sent but its outcome could not be confirmed, not even by reading back."""


class QuickBooksError(CcoUnlinkError):
    """QuickBooks Desktop could not be asked, or its answer cannot be trusted."""


class QuickBooksUnreachableError(QuickBooksError):
    """The connector is down, refused the token, QuickBooks is closed or busy, or it timed out."""


class QuickBooksReplyError(QuickBooksError):
    """The connector answered something that is not a usable qbXML reply."""


class QuickBooksStatusError(QuickBooksError):
    """QuickBooks answered a request with an error status code."""

    def __init__(self, message: str, *, status_code: int) -> None:
        super().__init__(message)
        self.status_code = status_code


class QuickBooksInUseError(QuickBooksStatusError):
    """QuickBooks could not change a record someone else is using (3170-3180): try later."""


class QuickBooksNotSentError(QuickBooksError):
    """A change to QuickBooks stopped before it was sent (the order could not be read, or no
    longer matched what was confirmed): QuickBooks is known unchanged, and the audit says so."""


class QuickBooksChangedError(QuickBooksNotSentError):
    """The purchase order changed since the person confirmed a deletion: nothing was deleted."""
