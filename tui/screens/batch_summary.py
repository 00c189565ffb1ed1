"""Every CCO of the last unlink of many and how it ended, tried or not; saved as CSV on `s`."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Static

from services import messages
from services.batch import UnlinkBatch
from services.export import report_file
from services.models import SyncedCco
from tui.bindings import SUMMARY_BINDINGS, key_hint, key_of
from tui.feedback import OUTCOME_SEVERITY, SEVERITY_SIGNS, SIGN_WARNING, Look, toast
from tui.widgets.cco_columns import money


class BatchSummaryScreen(ModalScreen[SyncedCco | None]):
    """Dismissed with the CCO chosen by Enter (the list opens it in the detail pane), or None."""

    DEFAULT_CSS = """
    BatchSummaryScreen {
        align: center middle;
    }
    #summary-dialog {
        width: 95%;
        height: 90%;
        padding: 0 1;
        border: thick $primary;
        background: $surface;
    }
    #summary-title {
        text-style: bold;
    }
    #summary-line {
        margin-bottom: 1;
    }
    #summary-table {
        height: 1fr;
    }
    #summary-keys {
        color: $text-muted;
    }
    """
    BINDINGS: ClassVar[list[BindingType]] = SUMMARY_BINDINGS

    def __init__(self, batch: UnlinkBatch) -> None:
        super().__init__()
        self.unlinks = batch

    def compose(self) -> ComposeResult:
        with Vertical(id="summary-dialog"):
            yield Static(f"Unlink of {len(self.unlinks.ccos)} CCOs", id="summary-title")
            yield Static(self.unlinks.summary(), id="summary-line", markup=False)
            yield DataTable(id="summary-table", cursor_type="row", zebra_stripes=True)
            delete = key_of(self.app, "delete-in-procore")
            keys = key_hint(self.app, (("summary-save", "save as CSV"), ("summary-close", "close")))
            yield Static(
                f"Enter open the CCO ({delete} deletes an unlinked one) · {keys}",
                id="summary-keys",
                markup=False,
            )

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        # How each ended comes right after which CCO: at 80 columns the rest scrolls sideways.
        table.add_columns("", "CCO #", "Outcome", "Title", "Project", "Amount", "Message")
        for result in self.unlinks.results:
            cco, outcome = result.cco, result.outcome
            sign = SEVERITY_SIGNS[OUTCOME_SEVERITY[outcome.kind]] if outcome else SIGN_WARNING
            # Procore's words as Text: DataTable reads a str cell as markup, and a title
            # holding "[/]" would stop the app.
            table.add_row(
                sign,
                Text(cco.number),
                result.words,
                Text(cco.title),
                Text(cco.project_name),
                Text(money(cco.amount), justify="right"),
                Text(outcome.message if outcome else ""),
                key=str(cco.id),
            )
        table.focus()

    def action_close(self) -> None:
        self.dismiss(None)

    @on(DataTable.RowSelected)
    def _chosen(self, event: DataTable.RowSelected) -> None:
        chosen = event.row_key.value
        self.dismiss(next((c for c in self.unlinks.ccos if str(c.id) == chosen), None))

    def action_save_csv(self) -> None:
        try:
            path = report_file("unlink", datetime.now())
            self.unlinks.write_csv(path)
        except OSError as error:
            toast(self.app, Look("error", "Not saved"), messages.file_not_written(error))
            return
        toast(self.app, Look("information", "Saved"), messages.batch_saved(path))
