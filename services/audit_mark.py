"""Where the last read of the audit log for open attempts stopped, so the next one need not read
the whole log again (services/audit.py, `AuditLog.unsettled`).

Beside the log, in `<log>.read-mark`: how far the log was read (a line's end), the offsets of the
started lines that had no confirmed end by then, and a fingerprint of the bytes just before that
point. Every attempt started earlier and not listed had ended for good, and an ended line never
reopens one, so the next read takes the listed lines and what follows the mark, and finds the
same open attempts a whole read would. The mark is only a shortcut: one that is missing,
unreadable, or that does not fit the log (another file, cut shorter, rewritten: its fingerprint
differs) is ignored, and the whole log is read as before.
"""

from __future__ import annotations

import hashlib
import logging
import os
from pathlib import Path
from typing import BinaryIO

import msgspec

from services.settings import write_private_file

log = logging.getLogger(__name__)

FINGERPRINT_BYTES = 256
"""How much of the log before the mark its fingerprint covers: the last line or more."""


class ReadMark(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    device: int
    inode: int
    read_to: int
    """The offset just past the last whole line read."""
    fingerprint: str
    """sha256 of the FINGERPRINT_BYTES before `read_to`."""
    open_at: tuple[int, ...]
    """The offsets of the started lines before `read_to` with no confirmed end."""


_decoder = msgspec.json.Decoder(ReadMark)


def mark_path(audit_path: Path) -> Path:
    return audit_path.with_name(f"{audit_path.name}.read-mark")


def _fingerprint(handle: BinaryIO, read_to: int) -> str:
    start = max(0, read_to - FINGERPRINT_BYTES)
    handle.seek(start)
    return hashlib.sha256(handle.read(read_to - start)).hexdigest()


def load(audit_path: Path, handle: BinaryIO) -> ReadMark | None:
    """The mark left by the last read, if it fits the log open in `handle`; else None."""
    try:
        mark = _decoder.decode(mark_path(audit_path).read_bytes())
    except FileNotFoundError:
        return None
    except (OSError, msgspec.DecodeError) as error:
        log.info("audit read mark ignored: %s", error)
        return None
    stat = os.fstat(handle.fileno())
    fits = (
        (mark.device, mark.inode) == (stat.st_dev, stat.st_ino)
        and 0 <= mark.read_to <= stat.st_size
        and all(0 <= offset < mark.read_to for offset in mark.open_at)
        and _fingerprint(handle, mark.read_to) == mark.fingerprint
    )
    return mark if fits else None


def save(audit_path: Path, handle: BinaryIO, read_to: int, open_at: list[int]) -> None:
    """Leave a mark for the next read; a log that cannot take one is read whole next time."""
    stat = os.fstat(handle.fileno())
    mark = ReadMark(
        device=stat.st_dev,
        inode=stat.st_ino,
        read_to=read_to,
        fingerprint=_fingerprint(handle, read_to),
        open_at=tuple(open_at),
    )
    try:
        write_private_file(mark_path(audit_path), msgspec.json.encode(mark))
    except OSError as error:
        log.info("audit read mark not written: %s", error)
