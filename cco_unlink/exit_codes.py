"""Exit status of every `cco-unlink` command, in one place (the README's table copies this one).

Codes grow with how much a person must look into: 0 is done, 7 is "go and look before anything
else". When one command handles several CCOs it exits with the highest code among them.
"""

from __future__ import annotations

from services.errors import CcoUnlinkError, ProcoreError, QuickBooksError, SettingsError
from services.models import CheckKind, OutcomeKind

OK = 0
"""Unlinked, or already unlinked by someone else: the CCO is not linked any more."""
FAILURE = 1
"""Something outside the product went wrong: a file could not be read or written (an unlink is
refused when the audit log cannot take its line), Ctrl-C."""
BAD_INPUT = 2
"""Bad settings or arguments, a missing secret, an unknown project or CCO id. Nothing changed."""
STILL_IN_QUICKBOOKS = 3
"""QuickBooks Desktop still holds the CCO: delete it there first. Nothing changed."""
PERMISSION_MISSING = 4
"""The user lacks one of the three permissions an unlink needs. Nothing changed."""
QUICKBOOKS_UNREACHABLE = 5
"""QuickBooks Desktop could not be asked, its answer could not be read, or Procore's records do
not agree on which purchase order holds the CCO. Nothing changed."""
PROCORE_FAILED = 6
"""Procore could not be reached, refused or failed the change, or the sign-in must be renewed
(`cco-unlink login`). Nothing changed."""
OUTCOME_UNKNOWN = 7
"""The unlink was sent and its result could not be confirmed: list again before retrying."""
BROKEN_PIPE = 141
"""The reader of stdout went away (`| head`): nothing is said, and the status is the one a
command killed by SIGPIPE has, as `cat` and `grep` end (choice)."""

FOR_OUTCOME: dict[OutcomeKind, int] = {
    OutcomeKind.UNLINKED: OK,
    OutcomeKind.ALREADY_UNLINKED: OK,
    OutcomeKind.NOT_FOUND: BAD_INPUT,
    OutcomeKind.STILL_IN_QUICKBOOKS: STILL_IN_QUICKBOOKS,
    OutcomeKind.PERMISSION_MISSING: PERMISSION_MISSING,
    OutcomeKind.QUICKBOOKS_UNREACHABLE: QUICKBOOKS_UNREACHABLE,
    OutcomeKind.PROCORE_FAILED: PROCORE_FAILED,
    OutcomeKind.SIGN_IN_REQUIRED: PROCORE_FAILED,
    OutcomeKind.OUTCOME_UNKNOWN: OUTCOME_UNKNOWN,
    OutcomeKind.CANNOT_TELL: QUICKBOOKS_UNREACHABLE,
    OutcomeKind.REFUSED: FAILURE,
}


# `cco-unlink check`: 0 when every CCO is gone from QuickBooks (or unlinked already), 3 when any
# is still there; not knowing is never 0.
FOR_CHECK: dict[CheckKind, int] = {
    CheckKind.GONE: OK,
    CheckKind.NOT_LINKED: OK,
    CheckKind.IN_QUICKBOOKS: STILL_IN_QUICKBOOKS,
    CheckKind.UNKNOWN: QUICKBOOKS_UNREACHABLE,
    CheckKind.PROCORE_FAILED: PROCORE_FAILED,
    CheckKind.NOT_FOUND: BAD_INPUT,
}


def for_outcome(kind: OutcomeKind) -> int:
    return FOR_OUTCOME[kind]


def for_error(error: CcoUnlinkError) -> int:
    """The status of a failure that stopped a command before or between CCOs."""
    if isinstance(error, SettingsError):
        return BAD_INPUT
    if isinstance(error, QuickBooksError):
        return QUICKBOOKS_UNREACHABLE
    if isinstance(error, ProcoreError):
        return PROCORE_FAILED
    return FAILURE
