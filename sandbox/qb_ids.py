"""Identifiers shaped like QuickBooks Desktop's: '<hex counter>-<10-digit unix epoch>'.

QuickBooks treats them as opaque strings; the sandbox imitates the look so clients that log or
display them see realistic values, and keeps one counter in `meta` so ids never repeat.
"""

from __future__ import annotations

import sqlite3

from sandbox.store import get_meta, set_meta

_COUNTER_KEY = "qb_txn_counter"
FIRST_TXN_COUNTER = 0x1A2B


def next_txn_id(conn: sqlite3.Connection, epoch: int) -> str:
    """A fresh TxnID or TxnLineID (QuickBooks draws both from one sequence)."""
    current = get_meta(conn, _COUNTER_KEY)
    counter = FIRST_TXN_COUNTER if current is None else int(current)
    set_meta(conn, _COUNTER_KEY, str(counter + 1))
    return f"{counter:X}-{epoch:010d}"


def list_id(counter: int, epoch: int) -> str:
    """A ListID; QuickBooks list objects conventionally count up from 0x80000001."""
    return f"{counter:X}-{epoch:010d}"


def next_edit_sequence(previous: str, now_epoch: int) -> str:
    """EditSequence after a modify: the time of the change, always greater than before."""
    try:
        prev = int(previous)
    except ValueError:
        prev = 0
    return str(max(now_epoch, prev + 1))
