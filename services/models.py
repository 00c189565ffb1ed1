"""Typed records that cross the boundary between the core and its callers."""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from decimal import Decimal

import msgspec


class User(msgspec.Struct, frozen=True):
    id: int
    login: str
    name: str


class Actor(msgspec.Struct, frozen=True):
    """Who is changing Procore, in which company: named in every audit line."""

    user: User
    company_id: int


class Company(msgspec.Struct, frozen=True):
    id: int
    name: str


class Project(msgspec.Struct, frozen=True):
    id: int
    name: str
    number: str
    synced: bool = True
    """False only when Procore says the project's origin_id is null: a project not synced with
    the ERP cannot hold synced CCOs, so it is not asked for any."""


class Commitment(msgspec.Struct, frozen=True):
    """A purchase order or work order contract; in QuickBooks Desktop it is a purchase order."""

    id: int
    number: str
    title: str
    vendor: str
    origin_id: str | None
    """The purchase order's TxnID when the commitment is synced."""
    po_ref_number: str | None = None
    """The purchase order's RefNumber, when Procore keeps it."""


class QuickBooksLink(msgspec.Struct, frozen=True):
    """Where a synced CCO lives in QuickBooks Desktop: lines added to the commitment's PO."""

    po_txn_id: str
    txn_line_ids: tuple[str, ...]


class CcoPlace(msgspec.Struct, frozen=True, array_like=True, gc=False):
    """Where a CCO belongs: its company, project, commitment and the purchase order it was added
    to, as the list shows them. The same for every CCO of a commitment, so its rows share one
    (services/catalog.py, services/cache.py): ten fields a row fewer, 80 bytes of a million."""

    company_id: int
    project_id: int
    project_name: str
    project_number: str
    commitment_id: int
    commitment_number: str
    commitment_title: str
    vendor: str
    po_txn_id: str | None
    """The purchase order it was added to; None when Procore holds no readable location, and
    the unlink then refuses, failing closed."""
    po_reference: str
    """How the person recognises the purchase order in QuickBooks (its RefNumber, else TxnID)."""

    @property
    def commitment_label(self) -> str:
        return f"{self.commitment_number} {self.commitment_title}".strip()


class SyncedCco(msgspec.Struct, frozen=True, array_like=True, gc=False):
    """One row of the list: a CCO linked to QuickBooks Desktop, with what the screen shows of it.

    The one definition of a row's fields: the parser builds it, the cache stores it as a JSON
    array in this field order (services/cache.py), the table shows it and `list --json` prints
    it. Compact on purpose, since a company can hold a million: slots and no cycle-collector
    header (a row holds only text, numbers and its place), what it shares with its commitment's
    other CCOs kept once in its `place` (read through the properties below, or in C as
    attrgetter("place.vendor")), the amount in whole cents and the sync time in seconds, so both
    sort as plain integers; `amount`, `synced_at` and `link` give them back.
    """

    id: int
    place: CcoPlace
    number: str
    title: str
    cents: int
    synced_epoch: int | None
    """When it was synced (else last updated), in seconds since 1970 UTC; None when unknown."""
    origin_id: str
    line_ids: str
    """Its lines on that purchase order (TxnLineIDs), comma-separated: QuickBooks ids hold no
    comma. The usual CCO, of one line, holds the very string of its origin_id here: no copy, no
    tuple, 120 bytes a row fewer than a tuple of strings."""

    @property
    def company_id(self) -> int:
        return self.place.company_id

    @property
    def project_id(self) -> int:
        return self.place.project_id

    @property
    def project_name(self) -> str:
        return self.place.project_name

    @property
    def project_number(self) -> str:
        return self.place.project_number

    @property
    def commitment_id(self) -> int:
        return self.place.commitment_id

    @property
    def commitment_number(self) -> str:
        return self.place.commitment_number

    @property
    def commitment_title(self) -> str:
        return self.place.commitment_title

    @property
    def vendor(self) -> str:
        return self.place.vendor

    @property
    def po_txn_id(self) -> str | None:
        return self.place.po_txn_id

    @property
    def po_reference(self) -> str:
        return self.place.po_reference

    @property
    def amount(self) -> Decimal:
        return Decimal(self.cents).scaleb(-2)

    @property
    def synced_at(self) -> datetime | None:
        if self.synced_epoch is None:
            return None
        return datetime.fromtimestamp(self.synced_epoch, UTC)

    @property
    def txn_line_ids(self) -> tuple[str, ...]:
        return tuple(self.line_ids.split(",")) if self.line_ids else ()

    @property
    def link(self) -> QuickBooksLink | None:
        """Where it lives in QuickBooks Desktop; None when Procore holds no readable location."""
        if self.po_txn_id is None or not self.line_ids:
            return None
        return QuickBooksLink(self.po_txn_id, self.txn_line_ids)

    @property
    def commitment_label(self) -> str:
        return self.place.commitment_label

    @property
    def label(self) -> str:
        """How messages name this CCO: its number and title, then where it belongs."""
        return (
            f"CCO #{self.number} “{self.title}” on {self.commitment_number} ({self.project_name})"
        )


def cents_of(amount: Decimal) -> int:
    """An amount already rounded to the cent, in whole cents."""
    return int(amount.scaleb(2))


def cents_text(cents: int, separators: bool = True) -> str:
    """An amount in cents as the table shows it (1,234.50), or, without separators, as
    str(Decimal) writes it (1234.50); no Decimal made."""
    units, rest = divmod(abs(cents), 100)
    sign = "-" if cents < 0 else ""
    return f"{sign}{units:,}.{rest:02d}" if separators else f"{sign}{units}.{rest:02d}"


def epoch_of(moment: datetime | None) -> int | None:
    return None if moment is None else int(moment.timestamp())


class CcoLineItem(msgspec.Struct, frozen=True):
    id: int
    origin_id: str | None


class CcoState(msgspec.Struct, frozen=True):
    """A CCO as Procore holds it right now, read fresh before a change."""

    id: int
    project_id: int
    number: str
    origin_id: str | None
    origin_data: str | None
    line_items: tuple[CcoLineItem, ...] = ()
    commitment_id: int | None = None
    """The commitment (purchase order) the CCO changes, as Procore says now."""

    @property
    def is_linked(self) -> bool:
        return self.origin_id is not None or any(
            line.origin_id is not None for line in self.line_items
        )


class CcoLineDetail(msgspec.Struct, frozen=True):
    """One line item of a CCO as Procore shows it."""

    id: int
    description: str
    amount: Decimal
    cost_code: str
    """The cost code as a person reads it ("03-300 Cast-in-Place Concrete"); "" when none."""
    origin_id: str | None
    """The QuickBooks TxnLineID this line was exported as, while linked."""


class CcoDetail(msgspec.Struct, frozen=True):
    """A CCO read fresh for the detail pane: what the list row does not carry."""

    state: CcoState
    status: str
    created_by: str
    """Who created it, when Procore says; "" otherwise."""
    created_at: datetime | None
    updated_at: datetime | None
    lines: tuple[CcoLineDetail, ...]
    read_at: datetime
    """When this was read: the pane says how old its answer is."""


class AccessLevel(enum.IntEnum):
    """Procore's tool permission levels, ordered so that comparisons read naturally."""

    NONE = 0
    READ_ONLY = 1
    STANDARD = 2
    ADMIN = 3

    @classmethod
    def from_name(cls, name: str) -> AccessLevel | None:
        """The level Procore names, or None for a name that is not one of the four."""
        normalised = name.strip().lower().replace("_", " ").replace("-", " ")
        for level, label in _LEVEL_NAMES.items():
            if normalised == label.lower():
                return level
        return None

    @property
    def label(self) -> str:
        return _LEVEL_NAMES[self]


_LEVEL_NAMES = {
    AccessLevel.NONE: "None",
    AccessLevel.READ_ONLY: "Read Only",
    AccessLevel.STANDARD: "Standard",
    AccessLevel.ADMIN: "Admin",
}


class Permission(enum.Enum):
    """The three permissions an unlink requires, all of them."""

    COMMITMENTS_ADMIN = "commitments_admin_required"
    ERP_INTEGRATIONS = "erp_integrations_access_required"
    CAN_PUSH_TO_ACCOUNTING = "can_push_to_accounting_required"


class Presence(enum.Enum):
    """What QuickBooks Desktop says of a CCO. There is no 'unknown' member: an unknown answer is
    an exception, so no code path can mistake it for 'absent'."""

    PRESENT = "present"
    ABSENT = "absent"


class PurchaseOrderSeen(msgspec.Struct, frozen=True):
    """The purchase order as QuickBooks Desktop described it when asked."""

    txn_id: str
    ref_number: str
    vendor: str
    time_modified: str
    line_ids: tuple[str, ...]


class QuickBooksEvidence(msgspec.Struct, frozen=True):
    """What QuickBooks Desktop holds of one CCO, read live: its purchase order (None when
    QuickBooks says there is no such order) and which of the CCO's lines are still on it."""

    link: QuickBooksLink
    purchase_order: PurchaseOrderSeen | None
    checked_at: datetime

    @property
    def remaining(self) -> tuple[str, ...]:
        """The CCO's TxnLineIDs still on the purchase order, in the CCO's order."""
        if self.purchase_order is None:
            return ()
        on_order = set(self.purchase_order.line_ids)
        return tuple(line for line in self.link.txn_line_ids if line in on_order)

    @property
    def presence(self) -> Presence:
        return Presence.PRESENT if self.remaining else Presence.ABSENT

    @property
    def po_label(self) -> str:
        """How a person finds the order in QuickBooks: its RefNumber, else its TxnID."""
        order = self.purchase_order
        return (order.ref_number if order and order.ref_number else "") or self.link.po_txn_id

    def summary(self) -> str:
        """One line for the audit log."""
        txn_id = self.link.po_txn_id
        if self.purchase_order is None:
            return f"purchase order {txn_id} is not in QuickBooks"
        if self.remaining:
            return f"purchase order {txn_id} still has line(s) {', '.join(self.remaining)}"
        return f"purchase order {txn_id} has none of line(s) {', '.join(self.link.txn_line_ids)}"


class CheckKind(enum.Enum):
    """What a check in QuickBooks found of a CCO (services/check.py)."""

    GONE = "gone"
    """QuickBooks says the CCO is gone: an unlink would go through (permissions allowing)."""
    IN_QUICKBOOKS = "in_quickbooks"
    NOT_LINKED = "not_linked"
    """Procore holds no link any more: someone unlinked it already."""
    UNKNOWN = "unknown"
    """QuickBooks could not be asked, or Procore does not say where the CCO is."""
    PROCORE_FAILED = "procore_failed"
    NOT_FOUND = "not_found"


class DeleteKind(enum.Enum):
    """How a delete in Procore ended (services/cco_delete.py)."""

    DELETED = "deleted"
    STILL_LINKED = "delete_refused_still_linked"
    PERMISSION_MISSING = "delete_refused_permission"
    REFUSED = "delete_refused"
    NOT_FOUND = "delete_not_found"
    OUTCOME_UNKNOWN = "delete_outcome_unknown"
    NOT_STARTED = "delete_not_started"
    """Refused before anything was asked: the audit log cannot be written, or who is acting
    is not known."""

    @property
    def gone(self) -> bool:
        """The CCO is not in Procore any more."""
        return self in (DeleteKind.DELETED, DeleteKind.NOT_FOUND)


class OutcomeKind(enum.Enum):
    UNLINKED = "unlinked"
    ALREADY_UNLINKED = "already_unlinked"
    STILL_IN_QUICKBOOKS = "still_in_quickbooks"
    PERMISSION_MISSING = "permission_missing"
    QUICKBOOKS_UNREACHABLE = "quickbooks_unreachable"
    PROCORE_FAILED = "procore_failed"
    SIGN_IN_REQUIRED = "sign_in_required"
    OUTCOME_UNKNOWN = "outcome_unknown"
    NOT_FOUND = "not_found"
    CANNOT_TELL = "cannot_tell"
    """Procore's records disagree on which purchase order holds the CCO: nothing changed."""
    REFUSED = "refused"
    """Not sent: the audit log cannot be written, or who is acting is not known."""

    @property
    def succeeded(self) -> bool:
        """True when the CCO is unlinked now, whoever did it."""
        return self in (OutcomeKind.UNLINKED, OutcomeKind.ALREADY_UNLINKED)


class UnlinkOutcome(msgspec.Struct, frozen=True):
    kind: OutcomeKind
    message: str
    cco_id: int
    missing: tuple[Permission, ...] = ()
    evidence: str = ""
    """What QuickBooks said, for the audit log: e.g. 'PO 1A-17… absent (status 500)'."""
    audit_error: str = ""
    """Set when the attempt could not be written to the audit log."""
    quickbooks: QuickBooksEvidence | None = None
    """What QuickBooks held of the CCO, when it was asked and answered."""


class LoadProgress(msgspec.Struct, frozen=True):
    """How far a list load has come, for a progress line."""

    projects_done: int
    projects_total: int
    rows: int
    requests_left: int | None = None
    """Requests the rest of the load is expected to take; None before any project is done."""
    eta_seconds: float | None = None
    """How long the rest should take at the pace Procore's rate-limit headers allow."""

    @property
    def fraction(self) -> float:
        return self.projects_done / self.projects_total if self.projects_total else 1.0


class CachedList(msgspec.Struct, frozen=True):
    """The list as it was last loaded, kept on disk so a restart shows it at once: its first
    rows, read first (services/cache.py reads the rest after them)."""

    rows: list[SyncedCco]
    saved_at: datetime
    """When Procore was last asked; changes since then are what a refresh fetches."""
    complete: bool = True
    """False while there are rows after these to read."""
    read_to: int = -1
    """Where in the cache the rows not read yet begin (the last row read)."""
    loaded_projects: frozenset[int] | None = None
    """Set while a load is unfinished (stopped part-way): the projects it has loaded, whose rows
    these are. The next start loads the other projects instead of asking what changed."""

    @property
    def load_finished(self) -> bool:
        return self.loaded_projects is None


class ListChanges(msgspec.Struct, frozen=True):
    """One project's changes since the cached list: rows new or changed, and rows gone."""

    changed: list[SyncedCco]
    removed: list[int]
    progress: LoadProgress
    removed_projects: list[int] = msgspec.field(default_factory=list)
    """Projects no longer listed (closed, or access withdrawn): all their rows go."""
