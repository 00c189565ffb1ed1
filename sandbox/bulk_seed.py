"""A big company for load tests and benchmarks: hundreds of projects, tens of thousands of CCOs.

`seed_bulk(path, projects=500, ccos_per_project=200)` writes "Summit Ridge Builders" at that scale
in a few seconds: rows are generated in memory and written with one executemany per table inside
one transaction. The demo users and their permissions are the ones of the demo data, so the same
sign-ins work. A share of the projects (`synced_share`, all by default) is synced with QuickBooks:
each of their commitments and CCOs is too (a CCO is one line on its commitment's purchase order),
and every tenth CCO is already deleted in QuickBooks, so unlinks succeed and are refused in the
usual proportions. The other projects are not synced: neither they, their commitments nor their
CCOs carry an origin_id, as in a company that runs some jobs outside QuickBooks.

The default demo data (sandbox.demo) is untouched by this module.
"""

from __future__ import annotations

import json
import random
import sqlite3
import time
from pathlib import Path

from sandbox import demo, qb_ids
from sandbox.formats import procore_time, qb_date, qb_time
from sandbox.store import fresh_database, set_meta, transaction

COMMITMENTS_PER_PROJECT = 4
DELETED_EVERY = 10
_QB_COUNTER_KEY = "qb_txn_counter"


def reset_bulk(
    data_file: Path,
    *,
    projects: int = 500,
    ccos_per_project: int = 200,
    seed: int = 1,
    synced_share: float = 1.0,
    now: int | None = None,
) -> None:
    """Wipe `data_file` and fill it with the big company, dated up to `now` (seconds since 1970;
    by default the clock's)."""
    with fresh_database(data_file) as conn:
        conn.execute("PRAGMA synchronous = OFF")
        with transaction(conn):
            seed_bulk(
                conn,
                projects=projects,
                ccos_per_project=ccos_per_project,
                seed=seed,
                synced_share=synced_share,
                now=int(time.time()) if now is None else now,
            )


def is_synced(n: int, share: float) -> bool:
    """Whether project number `n` (from 0) is synced: `share` of them, spread evenly."""
    return int((n + 1) * share) > int(n * share)


def seed_bulk(
    conn: sqlite3.Connection,
    *,
    projects: int,
    ccos_per_project: int,
    seed: int,
    synced_share: float = 1.0,
    now: int,
) -> None:
    if not 0.0 <= synced_share <= 1.0:
        raise ValueError(f"synced_share is a share from 0 to 1, not {synced_share}")
    rng = random.Random(seed)
    company = demo.SUMMIT_COMPANY_ID
    conn.execute(
        "INSERT INTO companies(id, name, is_active) VALUES (?, ?, 1)",
        (company, "Summit Ridge Builders"),
    )
    counter = _Counter()
    qb_item = "8000010A-" + f"{demo.QB_FILE_EPOCH:010d}"
    conn.execute(
        "INSERT INTO qb_items(list_id, full_name) VALUES (?, ?)", (qb_item, "01-000 General")
    )
    vendor_rows, qb_vendor_ids = _vendors(conn, company)
    project_ids = [demo.PROJECT_ID_BASE + n for n in range(projects)]
    synced_projects = [is_synced(n, synced_share) for n in range(projects)]
    conn.executemany(
        "INSERT INTO projects(id, company_id, name, project_number, origin_id)"
        " VALUES (?, ?, ?, ?, ?)",
        (
            (
                pid,
                company,
                f"{demo.PROJECT_POOL[n % len(demo.PROJECT_POOL)][0]} {n + 1:03d}",
                f"B-{n + 1:04d}",
                qb_ids.list_id(demo.JOB_LIST_BASE + n, demo.QB_FILE_EPOCH)
                if synced_projects[n]
                else None,
            )
            for n, pid in enumerate(project_ids)
        ),
    )
    commitments: list[tuple[object, ...]] = []
    purchase_orders: list[tuple[object, ...]] = []
    po_lines: list[tuple[object, ...]] = []
    ccos: list[tuple[object, ...]] = []
    cco_lines: list[tuple[object, ...]] = []
    created = demo.PO_START_EPOCH
    # Dates never pass `now`: a minute apart from the demo's first CCO while that fits, closer
    # for a company too big for it; purchase orders an hour apart, closer likewise.
    total = max(1, projects * ccos_per_project)
    span = max(0, min(60 * total, now - 60 - demo.CCO_START_EPOCH))
    po_step = min(3600, (demo.CCO_START_EPOCH - demo.PO_START_EPOCH) // max(1, projects))
    cco_id = demo.CCO_ID_BASE
    line_item_id = demo.LINE_ITEM_ID_BASE
    for n, project_id in enumerate(project_ids):
        synced_project = synced_projects[n]
        owned = []
        for seq in range(1, COMMITMENTS_PER_PROJECT + 1):
            commitment_id = demo.COMMITMENT_ID_BASE + n * COMMITMENTS_PER_PROJECT + seq - 1
            vendor_id, vendor_name = vendor_rows[rng.randrange(len(vendor_rows))]
            txn_id = counter.next_id(created)
            ref = f"{n + 1:04d}-SC{seq:02d}"
            commitments.append(
                (
                    commitment_id,
                    project_id,
                    "work_order",
                    f"SC-{seq:03d}",
                    f"{vendor_name.split()[0]} Subcontract",
                    "Approved",
                    vendor_id,
                    txn_id if synced_project else None,
                    json.dumps({"ref_number": ref}) if synced_project else None,
                    procore_time(created - demo.DAY),
                    procore_time(created),
                )
            )
            if synced_project:
                purchase_orders.append(
                    (
                        txn_id,
                        1000 + len(purchase_orders),
                        qb_time(created),
                        qb_time(created),
                        str(created),
                        qb_vendor_ids[vendor_name],
                        qb_date(created),
                        ref,
                        "Subcontract",
                    )
                )
            owned.append((commitment_id, txn_id))
        for k in range(ccos_per_project):
            commitment_id, txn_id = owned[k % COMMITMENTS_PER_PROJECT]
            synced = demo.CCO_START_EPOCH + (cco_id - demo.CCO_ID_BASE) * span // total
            cents = rng.randint(250, 48_000) * 100
            title = demo.CCO_TITLES[rng.randrange(len(demo.CCO_TITLES))]
            line_id = counter.next_id(synced)
            number = f"{k // COMMITMENTS_PER_PROJECT + 1:03d}"
            synced_text = procore_time(synced)  # both its update and its sync: once per CCO
            link = json.dumps({"po_txn_id": txn_id, "txn_line_ids": [line_id]})
            ccos.append(
                (
                    cco_id,
                    project_id,
                    commitment_id,
                    number,
                    title,
                    "approved",
                    procore_time(synced - demo.DAY),
                    synced_text,
                    line_id if synced_project else None,
                    link if synced_project else None,
                    synced_text if synced_project else None,
                )
            )
            cco_lines.append(
                (
                    line_item_id,
                    cco_id,
                    0,
                    f"Labor - {title}",
                    cents,
                    line_id if synced_project else None,
                )
            )
            if synced_project and (cco_id - demo.CCO_ID_BASE) % DELETED_EVERY != 0:
                po_lines.append(
                    (
                        line_id,
                        txn_id,
                        k + 1,
                        qb_item,
                        f"CCO {number}: {title}",
                        "1",
                        f"{cents // 100}.{cents % 100:02d}",
                        cents,
                    )
                )
            cco_id += 1
            line_item_id += 1
        created += po_step
    conn.executemany(
        "INSERT INTO commitments(id, project_id, kind, number, title, status, vendor_id,"
        " origin_id, origin_data, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
        commitments,
    )
    conn.executemany(
        "INSERT INTO qb_purchase_orders(txn_id, txn_number, time_created, time_modified,"
        " edit_sequence, vendor_list_id, txn_date, ref_number, memo) VALUES (?,?,?,?,?,?,?,?,?)",
        purchase_orders,
    )
    conn.executemany(
        "INSERT INTO ccos(id, project_id, contract_id, number, title, status, created_at,"
        " updated_at, origin_id, origin_code, origin_data, synced_at)"
        " VALUES (?,?,?,?,?,?,?,?,?,NULL,?,?)",
        ccos,
    )
    conn.executemany(
        "INSERT INTO cco_line_items(id, cco_id, position, description, amount_cents, origin_id)"
        " VALUES (?,?,?,?,?,?)",
        cco_lines,
    )
    conn.executemany(
        "INSERT INTO qb_po_lines(txn_line_id, txn_id, position, item_list_id, description,"
        " quantity, rate, amount_cents) VALUES (?,?,?,?,?,?,?,?)",
        po_lines,
    )
    conn.execute("CREATE INDEX IF NOT EXISTS ccos_project ON ccos(project_id)")
    conn.execute("CREATE INDEX IF NOT EXISTS commitments_project ON commitments(project_id)")
    demo.insert_users(conn, {company: project_ids})
    set_meta(conn, _QB_COUNTER_KEY, str(counter.value))
    set_meta(conn, "seed", f"bulk:{seed}:{projects}x{ccos_per_project}")
    set_meta(conn, "seeded", "1")


class _Counter:
    """TxnIDs from one sequence, as QuickBooks draws them (sandbox.qb_ids, without a query each)."""

    def __init__(self) -> None:
        self.value = 0x1A2B

    def next_id(self, epoch: int) -> str:
        text = f"{self.value:X}-{epoch:010d}"
        self.value += 1
        return text


def _vendors(
    conn: sqlite3.Connection, company: int
) -> tuple[list[tuple[int, str]], dict[str, str]]:
    rows: list[tuple[int, str]] = []
    qb_ids: dict[str, str] = {}
    stamp = qb_time(demo.QB_FILE_EPOCH)
    for n, (name, _, _) in enumerate(demo.VENDOR_POOL):
        vendor_id = demo.VENDOR_ID_BASE + n
        conn.execute(
            "INSERT INTO vendors(id, company_id, name) VALUES (?, ?, ?)", (vendor_id, company, name)
        )
        list_id = f"{0x80000001 + n:X}-{demo.QB_FILE_EPOCH:010d}"
        conn.execute(
            "INSERT INTO qb_vendors(list_id, name, time_created, time_modified, edit_sequence)"
            " VALUES (?, ?, ?, ?, ?)",
            (list_id, name, stamp, stamp, str(demo.QB_FILE_EPOCH)),
        )
        rows.append((vendor_id, name))
        qb_ids[name] = list_id
    return rows, qb_ids
