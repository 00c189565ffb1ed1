"""Saved reports: one file per save, never one save over another, readable by their owner only."""

from __future__ import annotations

import threading
from datetime import datetime
from pathlib import Path

import pytest

from services.export import report_file, write_list_csv


def test_two_saves_in_the_same_second_keep_both_reports() -> None:
    now = datetime(2026, 11, 30, 9, 0, 0)
    first = report_file("unlink", now)
    first.write_text("first")
    second = report_file("unlink", now)
    assert second != first and second.parent == first.parent
    assert second.name == "unlink-20261130-090000-2.csv"
    assert first.read_text() == "first"


def test_saves_racing_in_the_same_second_each_take_a_name_of_their_own() -> None:
    """The name is taken by creating the file: two saves that both looked before either wrote
    (another process, or a thread) cannot pick the same one."""
    now = datetime(2026, 11, 30, 9, 0, 0)
    start = threading.Barrier(8)
    paths: list[Path] = []

    def save() -> None:
        start.wait()
        paths.append(report_file("list", now))

    savers = [threading.Thread(target=save) for _ in range(8)]
    for saver in savers:
        saver.start()
    for saver in savers:
        saver.join()
    assert len(set(paths)) == 8
    for path in paths:
        assert path.exists() and path.stat().st_mode & 0o777 == 0o600


def test_a_name_taken_between_the_look_and_the_write_is_not_written_over(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Another save creates the first name just as this one picks it: this one moves on."""
    now = datetime(2026, 11, 30, 9, 0, 0)
    taken = report_file("list", now)
    taken.write_text("another save's report")
    taken_name = taken.name
    real_exists = Path.exists
    # The name looks free when asked (the other save had not created it yet when looked at).
    monkeypatch.setattr(
        Path, "exists", lambda self: False if self.name == taken_name else real_exists(self)
    )

    path = report_file("list", now)

    assert path != taken
    write_list_csv(path, [], {})
    assert taken.read_text() == "another save's report"
    assert path.stat().st_mode & 0o777 == 0o600
