"""Deterministic demo data: two companies, their projects, commitments, change orders and users,
plus the simulated QuickBooks Desktop company file the commitments were exported to.

Everything derives from the seed and from fixed base times (never "now"), so two files seeded
with the same number are identical row for row. Ids live in fixed ranges above 2**32 so that
clients are exercised with 64-bit ids; the seed chooses names, amounts and which change orders
are already deleted in QuickBooks.

Layout (see also `sandbox.inspect`):
- "Summit Ridge Builders" (id 5200001): every sandbox user is a member. Five projects, each with
  2-4 commitments exported to QuickBooks as purchase orders. 40 synced change orders (about a
  third already deleted in QuickBooks, including every one of one commitment whose whole PO was
  deleted, and one with only some of its lines deleted, which therefore still counts as present)
  and 10 unsynced ones.
- "Harbor Point Construction" (id 5200002): one project, none of the four sandbox users belongs
  to it (only `harbor-admin` does), for scoping tests.
"""

from __future__ import annotations

import json
import random
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from sandbox import qb_ids
from sandbox.formats import epoch_of, money, procore_time, qb_date, qb_time
from sandbox.store import fresh_database, is_seeded, set_meta, transaction

SUMMIT_COMPANY_ID = 5_200_001
HARBOR_COMPANY_ID = 5_200_002
USER_ID_BASE = 18_400_001
CREATED_BY_ID = USER_ID_BASE + 0
"""The demo's CCOs were entered by its first user, the admin."""
PROJECT_ID_BASE = 2_960_000_001
VENDOR_ID_BASE = 40_700_001
COMMITMENT_ID_BASE = 281_474_976_711_001
CCO_ID_BASE = 281_474_976_811_001
LINE_ITEM_ID_BASE = 281_474_976_911_001

CLIENT_SECRET = "sandbox"

# The fixed clock of the demo world: the QuickBooks file opens in the autumn, change orders are
# exported over the winter, and the "mistakes" are deleted in QuickBooks in late February.
QB_FILE_EPOCH = epoch_of(2025, 9, 2, 14, 0)
# ListIDs of the Customer:Jobs that synced projects are linked to.
JOB_LIST_BASE = 0x80000401
PO_START_EPOCH = epoch_of(2025, 10, 6, 15, 0)
CCO_START_EPOCH = epoch_of(2026, 1, 5, 15, 0)
DELETION_EPOCH = epoch_of(2026, 2, 23, 17, 30)
DAY = 86_400

SYNCED_CCOS = 40
UNSYNCED_CCOS = 10


@dataclass(frozen=True)
class DemoUser:
    login: str
    name: str
    commitments_level: str
    erp_level: str
    can_push: bool
    companies: tuple[int, ...]


USERS: tuple[DemoUser, ...] = (
    DemoUser("admin", "Dana Whitfield", "Admin", "Admin", True, (SUMMIT_COMPANY_ID,)),
    DemoUser("no-push", "Marcus Lee", "Admin", "Admin", False, (SUMMIT_COMPANY_ID,)),
    DemoUser(
        "not-commitments-admin", "Priya Raman", "Standard", "Admin", True, (SUMMIT_COMPANY_ID,)
    ),
    DemoUser("erp-read-only", "Tomas Ortega", "Admin", "Read Only", True, (SUMMIT_COMPANY_ID,)),
    # Belongs only to the second company, so scoping can be tested from both sides.
    DemoUser("harbor-admin", "Grace Okafor", "Admin", "Admin", True, (HARBOR_COMPANY_ID,)),
)

PROJECT_POOL: tuple[tuple[str, str], ...] = (
    ("Riverside Medical Office Building", "2024-017"),
    ("Cedar Hollow Elementary Addition", "2024-031"),
    ("Lakeshore Mixed-Use Apartments", "2025-004"),
    ("Northgate Distribution Center", "2025-012"),
    ("Pine Street Fire Station No. 4", "2025-020"),
    ("Westfield Public Library Renovation", "2025-026"),
    ("Mill Creek Senior Living", "2025-033"),
)

# (vendor name, QuickBooks cost-code item, trade) for Summit Ridge's subcontractors and suppliers.
VENDOR_POOL: tuple[tuple[str, str, str], ...] = (
    ("Apex Concrete & Masonry", "03-300 Cast-in-Place Concrete", "Concrete"),
    ("Bluewater Plumbing Co.", "22-100 Plumbing", "Plumbing"),
    ("Ironline Steel Erectors", "05-100 Structural Steel", "Structural Steel"),
    ("Keystone Electrical Contractors", "26-000 Electrical", "Electrical"),
    ("Northstar Mechanical", "23-000 HVAC", "HVAC"),
    ("Granite State Drywall", "09-250 Gypsum Board", "Drywall"),
    ("Pacific Glass & Glazing", "08-800 Glazing", "Glazing"),
    ("Redwood Roofing Systems", "07-500 Membrane Roofing", "Roofing"),
    ("Cornerstone Excavation", "31-200 Earth Moving", "Earthwork"),
    ("Evergreen Landscaping", "32-900 Planting", "Landscaping"),
    ("Allied Fire Protection", "21-100 Fire Suppression", "Fire Protection"),
    ("Precision Door & Hardware", "08-100 Doors and Frames", "Doors & Hardware"),
    ("Ridgeline Lumber Supply", "06-100 Rough Carpentry", "Lumber"),
    ("Coastal Paving & Asphalt", "32-100 Paving", "Paving"),
)
HARBOR_VENDORS: tuple[tuple[str, str, str], ...] = (
    ("Tidewater Marine Construction", "35-500 Marine Construction", "Marine Works"),
    ("Seaboard Piling & Dock", "31-600 Piling", "Piling"),
)

BASE_SCOPE = ("Base scope per bid", "Mobilization", "Submittals and shop drawings", "Supervision")

# Procore refuses to export a CCO whose title is longer than 30 characters.
CCO_TITLES: tuple[str, ...] = (
    "Added rebar at grade beams",
    "Owner requested outlet adds",
    "Revised storm drain routing",
    "Additional fireproofing",
    "Credit - deleted canopy",
    "Upgraded LED light fixtures",
    "Rock excavation at footings",
    "Temporary heat - winter",
    "Added blocking for casework",
    "RFI 042 ceiling revisions",
    "Door hardware upgrade",
    "Extra roof drains",
    "Changed tile to porcelain",
    "Added sleeves at slab",
    "Value engineering credit",
    "Seismic bracing revisions",
    "Relocated gas meter",
    "Added bollards at dock",
    "Sidewalk replacement",
    "ASI 07 wall type changes",
    "Overtime to hold schedule",
    "Dewatering at elevator pit",
    "Added sod and irrigation",
    "Expansion joint covers",
)
LINE_KINDS = ("Labor", "Material", "Equipment")
# The cost code each kind of line is booked to (CSI MasterFormat-style, as Procore lists them).
COST_CODES = {
    "Labor": ("01-500", "Temporary Labor"),
    "Material": ("03-300", "Cast-in-Place Concrete"),
    "Equipment": ("01-540", "Construction Equipment"),
}


@dataclass
class _PoLine:
    txn_line_id: str
    item: str
    description: str
    amount_cents: int


@dataclass
class _Commitment:
    id: int
    project_id: int
    kind: str
    number: str
    title: str
    vendor_id: int
    vendor_name: str
    item: str
    created: int
    txn_id: str
    ref_number: str
    txn_number: int
    lines: list[_PoLine] = field(default_factory=list)
    edit_sequence: str = ""
    modified: int = 0
    next_cco_number: int = 1
    po_deleted: bool = False


@dataclass
class _Cco:
    id: int
    commitment: _Commitment
    number: str
    title: str
    created: int
    synced: int | None
    lines: list[tuple[int, str, int, _PoLine | None]] = field(default_factory=list)


class _Builder:
    """Accumulates rows in id order; all randomness comes from one seeded generator."""

    def __init__(self, conn: sqlite3.Connection, seed: int) -> None:
        self.conn = conn
        self.rng = random.Random(seed)
        self.next_project = PROJECT_ID_BASE
        self.next_vendor = VENDOR_ID_BASE
        self.next_commitment = COMMITMENT_ID_BASE
        self.next_cco = CCO_ID_BASE
        self.next_line_item = LINE_ITEM_ID_BASE
        self.next_txn_number = 1201
        self.next_qb_vendor = 0x80000001
        self.next_qb_item = 0x80000101
        self.qb_items: dict[str, str] = {}
        self.qb_vendors: dict[str, str] = {}

    # -- QuickBooks lists ------------------------------------------------------------------------
    def qb_item(self, full_name: str) -> str:
        if full_name not in self.qb_items:
            list_id = qb_ids.list_id(self.next_qb_item, QB_FILE_EPOCH)
            self.next_qb_item += 1
            self.conn.execute(
                "INSERT INTO qb_items(list_id, full_name) VALUES (?, ?)", (list_id, full_name)
            )
            self.qb_items[full_name] = list_id
        return self.qb_items[full_name]

    def qb_vendor(self, name: str) -> str:
        if name not in self.qb_vendors:
            list_id = qb_ids.list_id(self.next_qb_vendor, QB_FILE_EPOCH)
            self.next_qb_vendor += 1
            stamp = qb_time(QB_FILE_EPOCH)
            self.conn.execute(
                "INSERT INTO qb_vendors(list_id, name, time_created, time_modified, edit_sequence)"
                " VALUES (?, ?, ?, ?, ?)",
                (list_id, name, stamp, stamp, str(QB_FILE_EPOCH)),
            )
            self.qb_vendors[name] = list_id
        return self.qb_vendors[name]

    # -- Procore side ----------------------------------------------------------------------------
    def company(self, company_id: int, name: str) -> None:
        self.conn.execute(
            "INSERT INTO companies(id, name, is_active) VALUES (?, ?, 1)", (company_id, name)
        )

    def project(self, company_id: int, name: str, number: str) -> int:
        project_id = self.next_project
        self.next_project += 1
        # Every demo project is synced with QuickBooks as a Customer:Job.
        job = qb_ids.list_id(JOB_LIST_BASE + project_id - PROJECT_ID_BASE, QB_FILE_EPOCH)
        self.conn.execute(
            "INSERT INTO projects(id, company_id, name, project_number, origin_id)"
            " VALUES (?, ?, ?, ?, ?)",
            (project_id, company_id, name, number, job),
        )
        return project_id

    def vendor(self, company_id: int, name: str) -> int:
        vendor_id = self.next_vendor
        self.next_vendor += 1
        self.conn.execute(
            "INSERT INTO vendors(id, company_id, name) VALUES (?, ?, ?)",
            (vendor_id, company_id, name),
        )
        return vendor_id

    def commitment(
        self,
        company_id: int,
        project_id: int,
        project_number: str,
        seq: int,
        vendor: tuple[str, str, str],
        created: int,
    ) -> _Commitment:
        vendor_name, item, trade = vendor
        kind = "purchase_order" if self.rng.random() < 0.4 else "work_order"
        prefix = "PO" if kind == "purchase_order" else "SC"
        number = f"{prefix}-{seq:03d}"
        title = f"{trade} {'Materials' if kind == 'purchase_order' else 'Subcontract'}"
        txn_id = qb_ids.next_txn_id(self.conn, created)
        c = _Commitment(
            id=self.next_commitment,
            project_id=project_id,
            kind=kind,
            number=number,
            title=title,
            vendor_id=self.vendor(company_id, vendor_name),
            vendor_name=vendor_name,
            item=item,
            created=created,
            txn_id=txn_id,
            # QuickBooks allows 11 characters: "017-SC-001".
            ref_number=f"{project_number[-3:]}-{number}",
            txn_number=self.next_txn_number,
            edit_sequence=str(created),
            modified=created,
        )
        self.next_commitment += 1
        self.next_txn_number += 1
        for scope in self.rng.sample(BASE_SCOPE, self.rng.randint(2, 3)):
            amount = self.rng.randint(15_000, 450_000) * 100
            line_id = qb_ids.next_txn_id(self.conn, created)
            c.lines.append(_PoLine(line_id, item, f"{trade} - {scope}", amount))
        return c

    def cco(self, c: _Commitment, synced: bool, when: int) -> _Cco:
        title = self.rng.choice(CCO_TITLES)
        cco = _Cco(
            id=self.next_cco,
            commitment=c,
            number=f"{c.next_cco_number:03d}",
            title=title,
            created=when,
            synced=when + DAY + self.rng.randint(0, 6) * 3600 if synced else None,
        )
        self.next_cco += 1
        c.next_cco_number += 1
        credit = title.startswith("Credit") or "credit" in title
        for kind in self.rng.sample(LINE_KINDS, self.rng.randint(1, 3)):
            cents = self.rng.randint(250, 48_000) * 100 + self.rng.choice((0, 0, 25, 50, 75))
            if credit:
                cents = -cents
            description = f"{kind} - {title}"
            po_line: _PoLine | None = None
            if cco.synced is not None:
                line_id = qb_ids.next_txn_id(self.conn, cco.synced)
                po_line = _PoLine(line_id, c.item, f"CCO {cco.number}: {description}", cents)
                c.lines.append(po_line)
                c.edit_sequence = str(cco.synced)
                c.modified = max(c.modified, cco.synced)
            cco.lines.append((self.next_line_item, description, cents, po_line))
            self.next_line_item += 1
        return cco


def insert_users(conn: sqlite3.Connection, project_ids: dict[int, list[int]]) -> None:
    """The demo users with their tool levels, in the companies of `project_ids` only (a big
    company seeded alone has no Harbor Point)."""
    for offset, user in enumerate(USERS):
        if not any(company_id in project_ids for company_id in user.companies):
            continue
        user_id = USER_ID_BASE + offset
        conn.execute(
            "INSERT INTO users(id, login, name, email_address, client_secret,"
            " erp_integrated_accountant) VALUES (?, ?, ?, ?, ?, ?)",
            (
                user_id,
                user.login,
                user.name,
                f"{user.login}@sandbox.example.com",
                CLIENT_SECRET,
                int(user.can_push),
            ),
        )
        for company_id in (c for c in user.companies if c in project_ids):
            conn.execute(
                "INSERT INTO memberships(company_id, user_id) VALUES (?, ?)", (company_id, user_id)
            )
            levels = (("erp_integrations", user.erp_level), ("directory", "Read Only"))
            for tool, level in levels:
                conn.execute(
                    "INSERT INTO tool_levels VALUES (?, 'company', ?, ?, ?)",
                    (user_id, company_id, tool, level),
                )
            for project_id in project_ids[company_id]:
                for tool, level in (("commitments", user.commitments_level), ("budget", "Admin")):
                    conn.execute(
                        "INSERT INTO tool_levels VALUES (?, 'project', ?, ?, ?)",
                        (user_id, project_id, tool, level),
                    )


def _write_commitment(conn: sqlite3.Connection, b: _Builder, c: _Commitment) -> None:
    origin_data = json.dumps({"ref_number": c.ref_number})
    conn.execute(
        "INSERT INTO commitments(id, project_id, kind, number, title, status, vendor_id,"
        " origin_id, origin_data, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
        (
            c.id,
            c.project_id,
            c.kind,
            c.number,
            c.title,
            "Approved",
            c.vendor_id,
            c.txn_id,
            origin_data,
            procore_time(c.created - DAY),
            procore_time(c.created),
        ),
    )
    if c.po_deleted:
        conn.execute(
            "INSERT INTO qb_deleted_txns VALUES (?, 'PurchaseOrder', ?, ?, ?)",
            (c.txn_id, qb_time(c.created), qb_time(DELETION_EPOCH), c.ref_number),
        )
        return
    conn.execute(
        "INSERT INTO qb_purchase_orders(txn_id, txn_number, time_created, time_modified,"
        " edit_sequence, vendor_list_id, txn_date, ref_number, memo) VALUES (?,?,?,?,?,?,?,?,?)",
        (
            c.txn_id,
            c.txn_number,
            qb_time(c.created),
            qb_time(c.modified),
            c.edit_sequence,
            b.qb_vendor(c.vendor_name),
            qb_date(c.created),
            c.ref_number,
            c.title,
        ),
    )
    for position, line in enumerate(c.lines):
        conn.execute(
            "INSERT INTO qb_po_lines(txn_line_id, txn_id, position, item_list_id, description,"
            " quantity, rate, amount_cents) VALUES (?,?,?,?,?,?,?,?)",
            (
                line.txn_line_id,
                c.txn_id,
                position,
                b.qb_item(line.item),
                line.description,
                "1",
                money(line.amount_cents),
                line.amount_cents,
            ),
        )


def _write_cco(conn: sqlite3.Connection, cco: _Cco) -> None:
    line_ids = [po.txn_line_id for (_, _, _, po) in cco.lines if po is not None]
    synced = cco.synced is not None
    conn.execute(
        "INSERT INTO ccos(id, project_id, contract_id, number, title, status, created_at,"
        " updated_at, origin_id, origin_code, origin_data, synced_at, created_by_id)"
        " VALUES (?,?,?,?,?,?,?,?,?,NULL,?,?,?)",
        (
            cco.id,
            cco.commitment.project_id,
            cco.commitment.id,
            cco.number,
            cco.title,
            "approved" if synced or cco.id % 2 else "pending",
            procore_time(cco.created),
            procore_time(cco.synced if cco.synced is not None else cco.created + 3600),
            line_ids[0] if synced else None,
            json.dumps({"po_txn_id": cco.commitment.txn_id, "txn_line_ids": line_ids})
            if synced
            else None,
            procore_time(cco.synced) if cco.synced is not None else None,
            CREATED_BY_ID,
        ),
    )
    for position, (line_item_id, description, cents, po) in enumerate(cco.lines):
        # A line's description starts with its kind ("Labor - …"), which names its cost code.
        code, code_name = COST_CODES[description.partition(" - ")[0]]
        conn.execute(
            "INSERT INTO cco_line_items(id, cco_id, position, description, amount_cents,"
            " origin_id, cost_code, cost_code_name) VALUES (?,?,?,?,?,?,?,?)",
            (
                line_item_id,
                cco.id,
                position,
                description,
                cents,
                po.txn_line_id if po else None,
                code,
                code_name,
            ),
        )


def _build_company(
    b: _Builder,
    company_id: int,
    projects: list[tuple[str, str]],
    vendors: tuple[tuple[str, str, str], ...],
    commitments_per_project: tuple[int, int],
    synced: int,
    unsynced: int,
    deleted: int,
    delete_whole_po: bool,
) -> list[int]:
    rng = b.rng
    vendor_pool = list(vendors)
    project_ids: list[int] = []
    commitments: list[_Commitment] = []
    created = PO_START_EPOCH
    for name, number in projects:
        project_id = b.project(company_id, name, number)
        project_ids.append(project_id)
        count = min(rng.randint(*commitments_per_project), len(vendor_pool))
        for seq, vendor in enumerate(rng.sample(vendor_pool, count), start=1):
            commitments.append(b.commitment(company_id, project_id, number, seq, vendor, created))
            created += rng.randint(1, 4) * DAY + rng.randint(0, 8) * 3600

    # Every commitment gets a synced change order, the rest are spread at random; ids follow
    # creation time so the lists read chronologically.
    plan: list[tuple[_Commitment, bool]] = [(c, True) for c in commitments[:synced]]
    plan += [(rng.choice(commitments), True) for _ in range(synced - len(plan))]
    plan += [(rng.choice(commitments), False) for _ in range(unsynced)]
    rng.shuffle(plan)
    when = CCO_START_EPOCH
    ccos: list[_Cco] = []
    for commitment, is_synced in plan:
        ccos.append(b.cco(commitment, is_synced, when))
        when += rng.randint(6, 30) * 3600
    synced_ccos = [cco for cco in ccos if cco.synced is not None]

    # Mistakes already cleaned up in QuickBooks: one whole PO, then single CCOs' lines.
    gone: set[int] = set()
    if delete_whole_po:
        by_count = sorted(
            commitments,
            key=lambda c: (-sum(1 for x in synced_ccos if x.commitment is c), c.id),
        )
        victim = next(c for c in by_count if sum(1 for x in synced_ccos if x.commitment is c) >= 2)
        victim.po_deleted = True
        gone |= {x.id for x in synced_ccos if x.commitment is victim}
    candidates = [x for x in synced_ccos if x.id not in gone]
    for cco in rng.sample(candidates, max(0, deleted - len(gone))):
        gone.add(cco.id)
        _delete_lines(cco, [po for (_, _, _, po) in cco.lines if po is not None])
    if delete_whole_po:
        # One CCO with only part of its lines deleted: still in QuickBooks by the contract's rule.
        partial = next(
            x
            for x in synced_ccos
            if x.id not in gone and len(x.lines) >= 2 and not x.commitment.po_deleted
        )
        last = partial.lines[-1][3]
        assert last is not None
        _delete_lines(partial, [last])

    for c in commitments:
        _write_commitment(b.conn, b, c)
    for cco in ccos:
        _write_cco(b.conn, cco)
    return project_ids


def _delete_lines(cco: _Cco, lines: list[_PoLine]) -> None:
    c = cco.commitment
    c.lines = [line for line in c.lines if line not in lines]
    c.modified = max(c.modified, DELETION_EPOCH)
    c.edit_sequence = str(max(int(c.edit_sequence) + 1, DELETION_EPOCH))


def seed_database(conn: sqlite3.Connection, seed: int) -> None:
    """Fill an empty schema with the demo data of `seed`."""
    b = _Builder(conn, seed)
    b.company(SUMMIT_COMPANY_ID, "Summit Ridge Builders")
    b.company(HARBOR_COMPANY_ID, "Harbor Point Construction")
    summit_projects = sorted(b.rng.sample(PROJECT_POOL, 5), key=lambda p: p[1])
    project_ids = {
        SUMMIT_COMPANY_ID: _build_company(
            b,
            SUMMIT_COMPANY_ID,
            summit_projects,
            VENDOR_POOL,
            (2, 4),
            synced=SYNCED_CCOS,
            unsynced=UNSYNCED_CCOS,
            deleted=round(SYNCED_CCOS / 3),
            delete_whole_po=True,
        ),
        HARBOR_COMPANY_ID: _build_company(
            b,
            HARBOR_COMPANY_ID,
            [("Harbor Point Marina Terminal", "HP-2025-03")],
            HARBOR_VENDORS,
            (2, 2),
            synced=3,
            unsynced=1,
            deleted=1,
            delete_whole_po=False,
        ),
    }
    insert_users(conn, project_ids)
    set_meta(conn, "seed", str(seed))
    set_meta(conn, "seeded", "1")


def reset(data_file: Path, seed: int) -> None:
    """Wipe `data_file` and seed it afresh."""
    with fresh_database(data_file) as conn, transaction(conn):
        seed_database(conn, seed)


def ensure(data_file: Path, seed: int) -> None:
    """Seed `data_file` if it is missing or empty; otherwise keep what is there."""
    if not is_seeded(data_file):
        reset(data_file, seed)
