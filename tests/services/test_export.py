"""Saved reports: one file per save, never one save over another."""

from __future__ import annotations

from datetime import datetime

from services.export import report_file


def test_two_saves_in_the_same_second_keep_both_reports() -> None:
    now = datetime(2026, 11, 30, 9, 0, 0)
    first = report_file("unlink", now)
    first.parent.mkdir(parents=True, exist_ok=True)
    first.write_text("first")
    second = report_file("unlink", now)
    assert second != first and second.parent == first.parent
    assert second.name == "unlink-20261130-090000-2.csv"
