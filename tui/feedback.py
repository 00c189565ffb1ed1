"""How each outcome and failure looks to a person: the toast's severity and title, the row's mark.

Severity maps to colour through app.tcss: "information" is a green toast, "error" a red one and
"warning" an amber one. Colour alone does not carry it (NO_COLOR, 16-colour terminals, colour
blindness): every toast title and row mark starts with a sign, ✓ done, ✗ refused or failed,
! to look at. The words themselves come from services.messages or the error.
"""

from __future__ import annotations

from typing import Any

import msgspec
from textual.app import App
from textual.notifications import SeverityLevel

from services.errors import (
    CcoUnlinkError,
    ProcoreAuthError,
    ProcoreNotFoundError,
    ProcoreOutcomeUnknownError,
    ProcorePermissionError,
    ProcoreRateLimitError,
    ProcoreReplyError,
    ProcoreUnavailableError,
    QuickBooksError,
    SettingsError,
)
from services.models import OutcomeKind
from services.settings import UiSettings

SIGN_DONE = "✓"
SIGN_REFUSED = "✗"
SIGN_WARNING = "!"
SIGN_PICKED = "●"
SIGN_BUSY = "…"
SEVERITY_SIGNS: dict[SeverityLevel, str] = {
    "information": SIGN_DONE,
    "error": SIGN_REFUSED,
    "warning": SIGN_WARNING,
}


def row_mark(sign: str, words: str) -> str:
    """A row's status: its sign (all a two-cell column shows), then its words."""
    return f"{sign} {words}"


class Look(msgspec.Struct, frozen=True):
    severity: SeverityLevel
    title: str


# Outcome toasts are titled with the CCO they are about; the severity gives the colour.
OUTCOME_SEVERITY: dict[OutcomeKind, SeverityLevel] = {
    OutcomeKind.UNLINKED: "information",
    OutcomeKind.ALREADY_UNLINKED: "information",
    OutcomeKind.STILL_IN_QUICKBOOKS: "error",
    OutcomeKind.PERMISSION_MISSING: "error",
    OutcomeKind.QUICKBOOKS_UNREACHABLE: "error",
    OutcomeKind.PROCORE_FAILED: "error",
    OutcomeKind.SIGN_IN_REQUIRED: "error",
    OutcomeKind.OUTCOME_UNKNOWN: "warning",
    OutcomeKind.NOT_FOUND: "warning",
    OutcomeKind.CANNOT_TELL: "error",
    OutcomeKind.REFUSED: "error",
}

# What the Status column says of a row after an attempt that left it in the list.
ROW_STATUS: dict[OutcomeKind, str] = {
    OutcomeKind.STILL_IN_QUICKBOOKS: row_mark(SIGN_REFUSED, "In QBD"),
    OutcomeKind.PERMISSION_MISSING: row_mark(SIGN_REFUSED, "No permission"),
    OutcomeKind.QUICKBOOKS_UNREACHABLE: row_mark(SIGN_WARNING, "QBD unknown"),
    OutcomeKind.PROCORE_FAILED: row_mark(SIGN_REFUSED, "Failed"),
    OutcomeKind.SIGN_IN_REQUIRED: row_mark(SIGN_WARNING, "Sign in"),
    OutcomeKind.OUTCOME_UNKNOWN: row_mark(SIGN_WARNING, "Unconfirmed"),
    OutcomeKind.CANNOT_TELL: row_mark(SIGN_WARNING, "Cannot tell"),
    OutcomeKind.REFUSED: row_mark(SIGN_REFUSED, "Refused"),
}
FAILED = ROW_STATUS[OutcomeKind.PROCORE_FAILED]
NOT_IN_QUICKBOOKS = row_mark(SIGN_DONE, "Not in QBD")

_ERROR_TITLES: list[tuple[type[CcoUnlinkError], str]] = [
    (ProcoreAuthError, "Procore sign-in needed"),
    (ProcorePermissionError, "No access in Procore"),
    (ProcoreNotFoundError, "Not found in Procore"),
    (ProcoreRateLimitError, "Procore rate limit"),
    (ProcoreOutcomeUnknownError, "Result not confirmed"),
    (ProcoreUnavailableError, "Procore unreachable"),
    (ProcoreReplyError, "Unreadable answer from Procore"),
    (QuickBooksError, "QuickBooks® Desktop not reached"),
    (SettingsError, "Settings"),
]


def error_look(error: CcoUnlinkError) -> Look:
    for error_type, title in _ERROR_TITLES:
        if isinstance(error, error_type):
            return Look("error", title)
    return Look("error", "Something went wrong")


def toast(app: App[Any], look: Look, message: str) -> None:
    """Show `message` as a toast; errors stay twice as long, to be read in full."""
    seconds = getattr(app, "toast_seconds", UiSettings().toast_seconds)
    app.notify(
        message,
        title=f"{SEVERITY_SIGNS[look.severity]} {look.title}",
        severity=look.severity,
        timeout=seconds * (2 if look.severity == "error" else 1),
        markup=False,
    )
