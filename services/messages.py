"""Every sentence cco-unlink shows a person about an unlink, in one place.

The screen and the headless commands both take their words from here, so a script and a person see
the same outcome in the same words.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from pathlib import Path

from services.models import (
    LoadProgress,
    OutcomeKind,
    Permission,
    QuickBooksEvidence,
    UnlinkOutcome,
)
from services.settings import PROCORE_SECRET_ENV

LIST_TITLE = "Change Orders – Successfully Synced with QuickBooks® Desktop"
"""Above the list, as Procore's own page titles it."""
UNLINKED = "Successfully Unlinked"
STILL_IN_QUICKBOOKS = "The CCO is still in QuickBooks® Desktop. Please delete it before retrying"
ALREADY_UNLINKED = "This CCO is already unlinked from QuickBooks® Desktop. Nothing was changed."
NOT_FOUND = (
    "This CCO no longer exists in Procore, or you can no longer see it. Nothing was changed."
)
NO_QUICKBOOKS_LOCATION = (
    "Procore does not say where this CCO is in QuickBooks® Desktop, so its deletion cannot be "
    "checked. Nothing was changed."
)

PERMISSION_NAMES = {
    Permission.COMMITMENTS_ADMIN: "'Admin' on the project's Commitments tool",
    Permission.ERP_INTEGRATIONS: "'Standard' or 'Admin' on the company's ERP Integrations tool",
    Permission.CAN_PUSH_TO_ACCOUNTING: (
        "the 'Can Push to Accounting' privilege in the Company Directory"
    ),
}


# As the article says: this privilege is not one a company admin can grant alone.
CAN_PUSH_ON_REQUEST = (
    "Procore enables 'Can Push to Accounting' on request: ask your company's Procore point of "
    "contact."
)


def permission_missing(missing: tuple[Permission, ...]) -> str:
    names = [PERMISSION_NAMES[permission] for permission in missing]
    needed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    text = f"You cannot unlink this CCO: you need {needed}. Nothing was changed."
    if Permission.CAN_PUSH_TO_ACCOUNTING in missing:
        text += f" {CAN_PUSH_ON_REQUEST}"
    return text


def _lines(count: int) -> str:
    return f"{count} line{'s' if count != 1 else ''}"


def still_on_po(evidence: QuickBooksEvidence) -> str:
    """What QuickBooks still holds of a CCO: the order and how many of its lines."""
    order = evidence.purchase_order
    remaining, total = len(evidence.remaining), len(evidence.link.txn_line_ids)
    where = f"PO {evidence.po_label}"
    if order is not None:
        facts = [fact for fact in (order.vendor, f"TxnID {order.txn_id}") if fact]
        if order.time_modified:
            facts.append(f"modified {order.time_modified}")
        where += f" ({', '.join(facts)})"
    return f"{remaining} of its {_lines(total)} still on {where}."


def in_quickbooks_now(evidence: QuickBooksEvidence) -> str:
    """A check's answer for a CCO still there: said first, then the evidence."""
    return f"Still in QuickBooks® Desktop: {still_on_po(evidence)}"


def gone_from_quickbooks(evidence: QuickBooksEvidence, *, ready: bool = True) -> str:
    """What QuickBooks showed; `ready` adds that the CCO may now be unlinked (not once it is)."""
    if evidence.purchase_order is None:
        seen = f"purchase order {evidence.link.po_txn_id} no longer exists."
    else:
        seen = (
            f"none of its {_lines(len(evidence.link.txn_line_ids))} is on PO "
            f"{evidence.po_label} any more."
        )
    return f"Gone from QuickBooks® Desktop: {seen}" + (" Ready to unlink." if ready else "")


def quickbooks_not_asked(detail: str) -> str:
    return (
        f"QuickBooks® Desktop could not be asked, so whether the CCO is gone is not known. {detail}"
    ).rstrip()


def outcome_text(outcome: UnlinkOutcome) -> str:
    """An outcome's message with the evidence behind a refusal: the exact message first, then
    the purchase order and how many of the CCO's lines remain on it."""
    if outcome.kind is OutcomeKind.STILL_IN_QUICKBOOKS and outcome.quickbooks is not None:
        return f"{outcome.message}\n{still_on_po(outcome.quickbooks)}"
    if outcome.kind is OutcomeKind.UNLINKED:
        return f"{outcome.message}\n{NEXT_STEP}"
    return outcome.message


NEXT_STEP = (
    "Next, in Procore: delete or correct this CCO, then export it to QuickBooks® Desktop again."
)


def quickbooks_unreachable(detail: str) -> str:
    return f"QuickBooks® Desktop could not be reached, so nothing was changed. {detail}".rstrip()


def sandbox_not_answering(detail: str, log_file: Path) -> str:
    return f"{detail} The sandbox may have stopped; {log_file} says why."


def procore_failed(detail: str) -> str:
    return f"Procore refused or failed the unlink, so nothing was changed. {detail}".rstrip()


def items_refused(cco_number: str, detail: str) -> str:
    return (
        f"Procore refused to unlink CCO {cco_number}: {detail}. Part of it may have been cleared: "
        "refresh to see the CCO's state before trying again."
    )


def outcome_unknown(detail: str) -> str:
    return (
        "The unlink was sent to Procore but its result could not be confirmed. Refresh to see "
        f"the CCO's state before trying again. {detail}"
    ).rstrip()


QUICKBOOKS_LINES_DELETED = "Deleted in QuickBooks® Desktop: the CCO's lines are gone."
QUICKBOOKS_ORDER_DELETED = (
    "Deleted in QuickBooks® Desktop: the purchase order held only the CCO's lines and is gone."
)
QUICKBOOKS_ORDER_CHANGED = (
    "The purchase order changed in QuickBooks® Desktop since you confirmed; nothing was "
    "deleted. Start the deletion again to see the order as it is now."
)
QUICKBOOKS_DELETE_UNCONFIRMED = (
    "Nothing was deleted in QuickBooks® Desktop: on a real company file a deletion goes only as "
    "the person confirmed it, and none was confirmed."
)
QUICKBOOKS_DELETE_NOT_ALLOWED = (
    "Deleting in QuickBooks® Desktop is off: set [quickbooks] allow_delete = true to allow it."
)


def quickbooks_not_read_before_delete(detail: str) -> str:
    return (
        f"{detail} The purchase order could not be read before deleting, so nothing was sent "
        "and nothing was deleted in QuickBooks® Desktop; try again."
    )


def quickbooks_delete_unknown(detail: str) -> str:
    return (
        f"{detail} The deletion was sent to QuickBooks® Desktop but its result is not known: "
        "check the CCO before trying again. The next start reads it back and records it."
    )


def quickbooks_in_use(status: int, said: str) -> str:
    return (
        f"QuickBooks® Desktop could not change the purchase order: it is in use (status "
        f"{status}: {said}). Nothing was deleted; try again later."
    )


def procore_delete_question(cco_label: str, number: str) -> str:
    return (
        f"Delete {cco_label} in Procore? It is unlinked from QuickBooks® Desktop; deleting it "
        f"cannot be undone from here.\n\nType the CCO number, {number}, to delete it."
    )


def quickbooks_delete_question(
    cco_label: str, po_name: str, vendor: str, lines: int, amount: str, whole_order: bool
) -> str:
    vendor_part = f" ({vendor})" if vendor else ""
    what = (
        f"These are all the lines the purchase order has: purchase order {po_name} itself "
        "will be deleted."
        if whole_order
        else "The purchase order's other lines stay."
    )
    return (
        f"Delete {lines} line(s) of {cco_label}, amount {amount}, from purchase order "
        f"{po_name}{vendor_part} in QuickBooks® Desktop?\n\n{what}\n\n"
        f"QuickBooks keeps no undo. Type the purchase order number, {po_name}, to delete."
    )


QUICKBOOKS_LINES_ALREADY_GONE = "The CCO is not in QuickBooks® Desktop any more. Nothing to delete."


def file_not_written(error: OSError) -> str:
    """Why a file could not be written, naming it."""
    where = f"{error.filename}: " if error.filename else ""
    return f"{where}{error.strerror or error}"


def audit_failed(path: str) -> str:
    return f"This attempt could not be written to the audit log at {path}; see the log file."


def unknown_project(project_id: int, company: str) -> str:
    return f"There is no project {project_id} in {company} that you can see. Nothing was changed."


def audit_line_damaged(path: str, line_number: int, problem: str) -> str:
    return f"{path} line {line_number}: {problem}; skipped, the lines after it are shown."


APPROVE_SIGN_IN = "Open this address in any browser, sign in to Procore and approve cco-unlink:"
"""Said above the authorize address, by setup and by `cco-unlink login`."""
SIGN_IN_NEEDED = "You are not signed in to Procore here yet."
"""Neutral on how: the app's sign-in screen shows the steps, a headless command adds RUN_LOGIN."""
RUN_LOGIN = "Run 'cco-unlink login' to sign in, then try again."
SIGN_IN_EXPIRED = "Your Procore sign-in expired or was revoked. Please sign in again."
SIGN_IN_CODE_EMPTY = "Paste the code Procore showed after you approved cco-unlink."
SIGN_IN_STORE_BUSY = (
    "Another cco-unlink is renewing the Procore sign-in and has not finished; try again."
)


def sign_in_code_refused(detail: str) -> str:
    return (
        "Procore refused the code: it is mistyped, older than 10 minutes, or already used. Open "
        f"the address again for a new one. Procore said: {detail}"
    )


def loading(progress: LoadProgress) -> str:
    return (
        f"Loading… projects {progress.projects_done:,}/{progress.projects_total:,}, "
        f"{progress.rows:,} synced CCOs so far"
    )


def load_progress(progress: LoadProgress) -> str:
    """Beside the progress bar: projects done, requests left, and the time to go."""
    text = f"{progress.projects_done:,}/{progress.projects_total:,} projects"
    if progress.requests_left is not None:
        text += f" · {progress.requests_left:,} requests left"
    if progress.eta_seconds is not None and progress.requests_left:
        text += f" · about {duration(progress.eta_seconds)} to go"
    return text


def duration(seconds: float) -> str:
    """A wait as a person reads it: '40 s', '3 min', '1 h 20 min'."""
    if seconds < 60:
        return f"{max(1, round(seconds))} s"
    minutes = round(seconds / 60)
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min" if minutes else f"{hours} h"


CHECKED_FIRST = (
    "cco-unlink first asks QuickBooks® Desktop whether it is gone; if it is still there, "
    "nothing is changed."
)
CHECKING_FOR_CHANGES = "checking Procore for changes…"
CACHE_UNREADABLE = "The cached list could not be read to the end: it is loaded afresh from Procore."


def reading_cache(read: int) -> str:
    return f"reading the cached list… {read:,} rows so far"


NO_CLIENT_SECRET = f"No Procore client secret: set {PROCORE_SECRET_ENV} or [procore] client_secret."


def _when(moment: datetime) -> str:
    return moment.astimezone().strftime("%Y-%m-%d %H:%M")


def cached_list(saved_at: datetime) -> str:
    return f"cached list from {_when(saved_at)}"


def unfinished_list(saved_at: datetime, projects: int) -> str:
    return (
        f"list loaded in part from {_when(saved_at)} ({projects} project"
        f"{'s' if projects != 1 else ''}), the rest to follow"
    )


def checking(progress: LoadProgress) -> str:
    return (
        f"{CHECKING_FOR_CHANGES} projects {progress.projects_done}/"
        f"{progress.projects_total}, {progress.rows} changed so far"
    )


def cache_refreshed(saved_at: datetime, changed: int, removed: int) -> str:
    if not changed and not removed:
        return f"up to date: nothing changed in Procore since {_when(saved_at)}"
    return (
        f"refreshed: {changed} new or changed and {removed} gone since {_when(saved_at)} "
        "(cached list brought up to date)"
    )


def sign_in_before_unlink(detail: str) -> str:
    return f"{detail} Nothing was changed; unlink again once signed in."


def unlinking_many(done: int, total: int) -> str:
    return f"Unlinking {done} of {total}…"


_MANY_OUTCOME_WORDS = {
    OutcomeKind.UNLINKED: "unlinked",
    OutcomeKind.ALREADY_UNLINKED: "already unlinked",
    OutcomeKind.STILL_IN_QUICKBOOKS: "still in QuickBooks® Desktop",
    OutcomeKind.PERMISSION_MISSING: "refused for a missing permission",
    OutcomeKind.QUICKBOOKS_UNREACHABLE: "not checked: QuickBooks® Desktop not reached",
    OutcomeKind.PROCORE_FAILED: "refused or failed in Procore",
    OutcomeKind.SIGN_IN_REQUIRED: "stopped: sign in to Procore again",
    OutcomeKind.OUTCOME_UNKNOWN: "sent but not confirmed",
    OutcomeKind.NOT_FOUND: "no longer in Procore",
    OutcomeKind.CANNOT_TELL: "not checked: Procore's records disagree",
    OutcomeKind.REFUSED: "refused before sending",
}


NOT_TRIED = "not tried"
BATCH_STOPPED = "Stopped after the CCO in progress."
BATCH_STOPPING = "Stopping after the CCO in progress…"
SUMMARY_AGAIN = "R shows every CCO and its outcome."


def no_batch_yet(pick_key: str, unlink_key: str) -> str:
    return f"No unlink of many has run yet: pick CCOs ({pick_key}) and press {unlink_key}."


BATCH_NOT_TRIED = "not tried: the run stopped before it. Nothing was changed."


def outcome_words(kind: OutcomeKind) -> str:
    """An outcome in a few words, for a list of many."""
    return _MANY_OUTCOME_WORDS[kind]


def unlinked_many(kinds: list[OutcomeKind], total: int) -> str:
    """One line for an unlink of many: how many ended each way, and how many were not tried."""
    counts = Counter(kinds)
    parts = [
        f"{counts[kind]} {words}" for kind, words in _MANY_OUTCOME_WORDS.items() if counts[kind]
    ]
    if len(kinds) < total:
        parts.append(f"{total - len(kinds)} {NOT_TRIED}")
    return "; ".join(parts) + "."


UNEXPECTED = (
    "An unexpected error stopped this unlink, so its result is not known. Refresh to see the "
    "CCO's state before trying again; the details are in the log file."
)


STILL_LINKED_AFTER_UNLINK = (
    "Procore accepted the unlink, but reading the CCO back still shows it linked. Refresh to see "
    "its state before trying again."
)


def not_applied(detail: str) -> str:
    return (
        "The unlink did not go through: Procore still shows the CCO linked. Refresh before "
        f"trying again. {detail}"
    ).rstrip()


def unexpected_load(refresh_key: str) -> str:
    return (
        f"An unexpected error stopped loading the list; press {refresh_key} to try again. The "
        "details are in the log file."
    )


def cannot_tell(detail: str) -> str:
    return (
        "Cannot tell whether this CCO is gone from QuickBooks® Desktop: "
        f"{detail} Nothing was changed."
    )


def po_disagrees(cco_po: str, commitment_po: str) -> str:
    return (
        f"the CCO names purchase order {cco_po}, but its commitment is exported as {commitment_po}."
    )


COMMITMENT_UNREADABLE = "Procore does not say which purchase order the CCO's commitment is."
COMMITMENT_NOT_LINKED = "its commitment is not linked to a purchase order in QuickBooks® Desktop."


def refused(reason: str) -> str:
    return f"Nothing was sent: {reason}"


ACTOR_UNKNOWN = (
    "Procore did not say who you are (login and id), and no change is made without knowing who "
    "makes it. Sign in again, or ask your Procore admin to check this user."
)

SETTLED_LATER_SUFFIX = "confirmed later"
"""Ends the message of an attempt settled by a later run, which read its outcome back."""


UNLINKED_LATER = "unlinked"
NOT_APPLIED_LATER = "not applied: Procore still shows the CCO linked"
NOT_FOUND_LATER = "the CCO no longer exists in Procore, or you can no longer see it"


def settled_later(outcome: str) -> str:
    return (
        f"{outcome}, {SETTLED_LATER_SUFFIX}: read back from Procore, as the run that sent the "
        "change never learned its outcome."
    )


NOT_SETTLED = "attempt started, outcome not known yet: the next run reads it back from Procore"


def settled_on_start(settled: int, left: int, problem: str) -> str:
    """What a start found of changes an earlier run sent without recording their outcome."""
    said = []
    if settled:
        said.append(
            f"{settled} change(s) an earlier run sent without recording the outcome were read "
            "back from Procore and recorded"
        )
    if left:
        said.append(
            f"{left} could not be read back yet ({problem}); they are read again at the next start"
        )
    return "; ".join(said) + ". See 'cco-unlink audit'."


def unsettled_left(count: int, detail: str) -> str:
    return (
        f"{count} started attempt(s) could not be read back from Procore yet ({detail}); they "
        "are shown as not settled."
    )


# -- cco-unlink setup ------------------------------------------------------------------------------
SETUP_NO_SECRET = (
    f"{PROCORE_SECRET_ENV} is not set. Setup keeps the client secret out of the settings file: "
    f"leave setup (Ctrl+Q), export {PROCORE_SECRET_ENV}=…, and run it again."
)
SETUP_NO_CLIENT_ID = "Paste the client id of your Procore app or service account."


def setup_procore_ok(user: str, login: str, company: str, company_id: int) -> str:
    return f"✓ Procore: signed in as {user} ({login}), company {company} ({company_id})."


def setup_procore_failed(detail: str) -> str:
    return f"✗ Procore: {detail}"


def setup_quickbooks_ok(url: str) -> str:
    return f"✓ QuickBooks® Desktop: the connector at {url} and QuickBooks answered."


def setup_quickbooks_failed(detail: str, token_env: str) -> str:
    return f"✗ QuickBooks® Desktop: {detail} (The token is read from {token_env}.)"


SETUP_UNEXPECTED = (
    "Something unexpected went wrong; the log file has the details. Nothing was written."
)


def setup_could_not_write(path: str, reason: str) -> str:
    return f"Could not write {path}: {reason}. Nothing was changed."


def setup_url_missing(label: str) -> str:
    return f"Give the {label}, e.g. https://…."


def setup_no_token(token_env: str) -> str:
    return (
        f"{token_env} is not set. Setup keeps the connector's token out of the settings file: "
        f"leave setup (Ctrl+Q), export {token_env}=…, and run it again; or name the variable "
        "that holds it."
    )


def setup_not_env_name(name: str) -> str:
    return f"{name!r} is not the name of an environment variable (letters, digits and _)."


def company_out_of_reach(login: str, company_id: int) -> str:
    return f"User '{login}' has no access to company {company_id}."


def setup_company_out_of_reach(login: str, company_id: int) -> str:
    return f"{company_out_of_reach(login, company_id)} Pick the company again."


def no_company(login: str) -> str:
    return f"User '{login}' belongs to no Procore company: ask an admin to add them."


# Deleting in Procore (step 3 of the fix) ---------------------------------------------------------

DELETED_LATER = "deleted in Procore"
NOT_DELETED_LATER = "not deleted: the CCO is still in Procore"
DELETED_IN_PROCORE = (
    "Deleted in Procore. To finish the fix, enter the CCO again correctly in Procore and export "
    "it to QuickBooks® Desktop."
)
DELETE_STILL_LINKED = (
    "This CCO is still linked to QuickBooks® Desktop: unlink it before deleting it. Nothing was "
    "deleted."
)
DELETE_NOT_FOUND = "This CCO is not in Procore any more (deleted already, or out of your reach)."


def delete_refused(detail: str) -> str:
    return f"Procore did not delete the CCO, so it is still there. {detail}".rstrip()


def delete_unknown(detail: str) -> str:
    return (
        "The delete was sent to Procore but its result could not be confirmed; look at the CCO "
        f"in Procore before trying again. {detail}"
    ).rstrip()


# Checking in QuickBooks, from the screen ---------------------------------------------------------

UNLINKED_NOW = "Unlinked: Procore holds no link to QuickBooks® Desktop for this CCO any more."
UNEXPECTED_READ = "An unexpected error stopped this read; the details are in the log file."


def checking_many(done: int, total: int) -> str:
    return f"Checking {done} of {total} in QuickBooks® Desktop…"


CHECK_STOPPING = "Stopping the check after the CCO in progress…"


def check_under_way(stop_key: str) -> str:
    return (
        "A check in QuickBooks® Desktop is under way: wait for it, or press "
        f"{stop_key} to stop it after the CCO in progress."
    )


def checks_not_asked(count: int) -> str:
    return f"{count} not asked: the check was stopped."


def checked_many(gone: int, there: int, unknown: int) -> str:
    parts = [f"{gone} gone from QuickBooks® Desktop (ready to unlink)"] if gone else []
    if there:
        parts.append(f"{there} still in QuickBooks® Desktop")
    if unknown:
        parts.append(f"{unknown} not known: QuickBooks® Desktop or Procore not reached")
    return "; ".join(parts) + ". Nothing was changed." if parts else "Nothing was changed."


UNEXPECTED_DELETE = (
    "An unexpected error stopped the delete in QuickBooks® Desktop, which may or may not have "
    "been made: check the CCO before trying again. The next start reads it back into the audit "
    "log; the details are in the log file."
)
UNEXPECTED_QUICKBOOKS_READ = (
    "An unexpected error stopped reading the purchase order in QuickBooks® Desktop: nothing was "
    "deleted. The details are in the log file."
)

# What the screen says when a key has nothing to act on, and of its own progress.
NOTHING_SELECTED_TO_UNLINK = "Select a CCO to unlink."
NOTHING_SELECTED_TO_OPEN = "Select a CCO to see it in full."
NOTHING_TO_CHECK = "Select or pick CCOs to check."
NO_ROW_SHOWN = "No row is shown."
CONNECTING = "Connecting to Procore…"
CONNECTING_AFTER_CACHED = "connecting…"
"""After the cached list's note, on the status line."""
SIGN_IN_OPEN_ADDRESS = "1. Open this address in any browser and approve cco-unlink:"
SIGN_IN_PASTE_CODE = "2. Paste the code Procore shows, then press Enter:"


def already_worked_on(cco_label: str) -> str:
    return f"{cco_label} is already being worked on."


def not_what_was_asked(expected: str) -> str:
    """A typed confirmation that does not match: the deletion it guards did not go."""
    return f"That is not {expected}: nothing was deleted."


def unknown_theme(asked: str, using: str) -> str:
    return f"Unknown theme '{asked}'; using {using}."


def list_not_loaded(detail: str) -> str:
    return f"List not loaded: {detail}"


def rows_exported(count: int, path: Path) -> str:
    return f"{count} rows shown: {path}"


def batch_saved(path: Path) -> str:
    return f"Every CCO and its outcome: {path}"


def hidden_by_filter(hidden: int) -> str:
    """Of the CCOs picked for an unlink of many, how many the filter hides ("" for none)."""
    if not hidden:
        return ""
    verb = "is" if hidden == 1 else "are"
    return f"{hidden} of them {verb} hidden by the filter: they are unlinked too."


def unlink_many_question(count: int, projects: int, total: str, stop_key: str) -> str:
    return (
        f"Unlink these {count} picked CCOs ({projects} project{'s' if projects != 1 else ''}, "
        f"{total} in all) from QuickBooks® Desktop? Each is checked in QuickBooks first; those "
        f"still there stay. {stop_key} stops the run after the CCO in progress."
    )


REFRESH_WAITS = (
    "A change is under way: refresh once it has ended (Esc stops an unlink of many after the "
    "CCO in progress)."
)
QUIT_WHILE_CHANGING = (
    "A change is under way. Quit anyway? The change in progress is finished and recorded in the "
    "audit log first; CCOs still waiting to be unlinked are not started."
)
FINISHING_BEFORE_QUIT = "Finishing the CCO in progress, then quitting…"
