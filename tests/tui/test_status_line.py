"""The line under the list reads counts as the rest of the screen does: with thousands marked."""

from __future__ import annotations

from services import messages
from services.models import LoadProgress
from tui.widgets.status_line import ListSummary, summary_text


def test_big_counts_have_thousands_separators_like_the_progress_beside_them() -> None:
    text = summary_text(
        ListSummary(total=100_000, shown=12_345, filter_words=("cedar",), picked=1_500)
    )
    assert text.startswith("100,000 synced CCOs")
    assert "12,345 shown" in text and "1,500 picked" in text
    loading = messages.loading(
        LoadProgress(projects_done=1_200, projects_total=5_000, rows=240_000)
    )
    assert loading == "Loading… projects 1,200/5,000, 240,000 synced CCOs so far"
    beside_the_bar = messages.load_progress(
        LoadProgress(projects_done=1_200, projects_total=5_000, rows=240_000, requests_left=11_400)
    )
    assert beside_the_bar.startswith("1,200/5,000 projects · 11,400 requests left")
