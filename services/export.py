"""The list as a person sees it, saved as CSV for a spreadsheet: the rows shown, in their order,
with the mark each carries. Written 0600: it names the company's CCOs and amounts."""

from __future__ import annotations

import csv
import os
from collections.abc import Iterable, Mapping
from datetime import datetime
from pathlib import Path

from services import locations
from services.models import SyncedCco

CCO_CSV_COLUMNS = (
    "project",
    "commitment",
    "vendor",
    "cco_id",
    "cco_number",
    "title",
    "amount",
    "purchase_order",
)
"""What every report says of a CCO, first on each line."""
LIST_CSV_COLUMNS = (*CCO_CSV_COLUMNS, "synced_at", "mark")


def cco_cells(cco: SyncedCco) -> list[object]:
    """A CCO's cells under CCO_CSV_COLUMNS."""
    return [
        cco.project_name,
        cco.commitment_label,
        cco.vendor,
        cco.id,
        cco.number,
        cco.title,
        str(cco.amount),
        cco.po_reference,
    ]


def report_file(kind: str, now: datetime) -> Path:
    """A new, empty file for a saved report, created beside the audit log readable by its owner
    only, one per save: the name is taken by creating the file (O_EXCL), so a second save in the
    same second, even from another process, gets the next name and never writes over the first.
    Raises OSError when the folder cannot take it."""
    folder = locations.data_dir() / "reports"
    folder.mkdir(parents=True, exist_ok=True)
    stem = f"{kind}-{now:%Y%m%d-%H%M%S}"
    path, count = folder / f"{stem}.csv", 1
    while True:
        try:
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        except FileExistsError:
            count += 1
            path = folder / f"{stem}-{count}.csv"
        else:
            return path


def private_file(path: str, flags: int) -> int:
    """An `opener` for open(): the file is created readable by its owner only."""
    return os.open(path, flags, 0o600)


def write_list_csv(path: Path, ccos: Iterable[SyncedCco], marks: Mapping[int, str]) -> int:
    """Write `ccos` to `path`; returns how many rows were written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    written = 0
    with open(path, "w", newline="", encoding="utf-8", opener=private_file) as handle:
        writer = csv.writer(handle)
        writer.writerow(LIST_CSV_COLUMNS)
        for cco in ccos:
            synced = cco.synced_at.isoformat() if cco.synced_at else ""
            writer.writerow([*cco_cells(cco), synced, marks.get(cco.id, "")])
            written += 1
    return written
