"""One CCO in full: its header, its line items, its Procore address and what QuickBooks Desktop
holds of it, read live. Each part says when it was read, or that it is being read, or why it
could not be: the pane never shows an old answer as a fresh one."""

from __future__ import annotations

from datetime import datetime

import msgspec
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual.containers import VerticalScroll
from textual.widgets import Static

from services.check import CheckResult
from services.models import CcoDetail, CheckKind, SyncedCco
from tui.bindings import KeyHint, key_hint
from tui.feedback import SIGN_DONE, SIGN_REFUSED, SIGN_WARNING
from tui.widgets.cco_columns import money

READING = "reading…"
KEYS_HINT: KeyHint = (
    ("copy-id", "copy id"),
    ("copy-address", "copy address"),
    ("check", "check again"),
    ("detail", "read again"),
    ("close-detail", "close"),
)
KEYS_HINT_UNLINKED: KeyHint = (
    ("copy-address", "copy address"),
    ("delete-in-procore", "delete in Procore"),
    ("close-detail", "close"),
)
KEYS_HINT_DELETED: KeyHint = (("copy-address", "copy address"), ("close-detail", "close"))

_CHECK_SIGNS = {
    CheckKind.GONE: SIGN_DONE,
    CheckKind.NOT_LINKED: SIGN_DONE,
    CheckKind.IN_QUICKBOOKS: SIGN_REFUSED,
}


class Failed(msgspec.Struct, frozen=True):
    """A read that did not answer, and why."""

    reason: str


def _when(moment: datetime | None) -> str:
    return moment.astimezone().strftime("%Y-%m-%d %H:%M") if moment else "—"


def _clock(moment: datetime) -> str:
    return moment.astimezone().strftime("%H:%M:%S")


def _not_in_hand(title: Text, failed: Failed | None) -> RenderableType:
    """A part whose answer is still being read (None), or could not be read and why."""
    if failed is None:
        return Group(title, Text(f"  {READING}", style="italic"))
    return Group(title, Text(f"  {SIGN_WARNING} not read: {failed.reason}"))


class DetailPane(VerticalScroll):
    """Shown beside the list from 120 columns, over it below (see ChangeOrdersScreen)."""

    DEFAULT_CSS = """
    DetailPane {
        display: none;
        width: 1fr;
        height: 1fr;
        padding: 0 1;
        border-left: tall $primary;
        background: $surface;
    }
    DetailPane.-open {
        display: block;
    }
    DetailPane > .detail--section {
        margin-bottom: 1;
    }
    DetailPane > #detail-title {
        text-style: bold;
    }
    DetailPane > #detail-next {
        color: $text-success;
        text-style: bold;
    }
    DetailPane > #detail-next.-empty {
        display: none;
    }
    DetailPane > #detail-keys {
        color: $text-muted;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.cco: SyncedCco | None = None
        self.address = ""
        self.detail: CcoDetail | Failed | None = None
        self.check: CheckResult | Failed | None = None
        self.keys_hint = KEYS_HINT
        self.next_step = ""

    def _mount_parts(self) -> None:
        """The pane's parts, made when it first opens: most sessions never open it, and every
        start paints its first frame sooner without them."""
        if self.children:
            return
        self.mount_all(
            [
                Static(id="detail-title", markup=False),
                Static(id="detail-next", classes="detail--section -empty", markup=False),
                Static(id="detail-header", classes="detail--section", markup=False),
                Static(id="detail-quickbooks", classes="detail--section", markup=False),
                Static(id="detail-lines", classes="detail--section", markup=False),
                Static(id="detail-keys", markup=False),
            ]
        )

    @property
    def is_open(self) -> bool:
        return self.has_class("-open")

    def show(self, cco: SyncedCco, address: str) -> None:
        """Open on `cco`, every live part marked as being read."""
        if self.cco is None or cco.id != self.cco.id:
            self.keys_hint = KEYS_HINT
            self.next_step = ""
        self.cco, self.address = cco, address
        self.detail = self.check = None
        self._mount_parts()
        self.add_class("-open")
        self.refresh_parts()

    def close(self) -> None:
        self.remove_class("-open")

    def set_detail(self, cco_id: int, detail: CcoDetail | Failed) -> None:
        if self.cco is not None and self.cco.id == cco_id:
            self.detail = detail
            self.refresh_parts()

    def set_check(self, cco_id: int, check: CheckResult | Failed | None) -> None:
        """A check's answer, or None while one is being read."""
        if self.cco is not None and self.cco.id == cco_id:
            self.check = check
            self.refresh_parts()

    def set_next_step(self, cco_id: int, text: str, keys_hint: KeyHint | None = None) -> None:
        """What the fix asks next, after an unlink or a delete, and the keys that do it."""
        if self.cco is not None and self.cco.id == cco_id:
            self.next_step = text
            self.keys_hint = keys_hint or self.keys_hint
            self.refresh_parts()

    def refresh_parts(self) -> None:
        cco = self.cco
        if cco is None:
            return
        self.query_one("#detail-title", Static).update(
            f"CCO #{cco.number} “{cco.title}” (id {cco.id})"
        )
        next_part = self.query_one("#detail-next", Static)
        next_part.update(self.next_step)
        next_part.set_class(not self.next_step, "-empty")
        self.query_one("#detail-header", Static).update(self._header(cco))
        self.query_one("#detail-quickbooks", Static).update(self._quickbooks())
        self.query_one("#detail-lines", Static).update(self._lines())
        self.query_one("#detail-keys", Static).update(key_hint(self.app, self.keys_hint))

    # Parts -------------------------------------------------------------------------------------

    def _header(self, cco: SyncedCco) -> RenderableType:
        # Every cell a Text: Rich reads a str cell as markup, and a name holding "[/]" (Procore's
        # words) would stop the app.
        grid = Table.grid(padding=(0, 1))
        grid.add_column(style="bold", no_wrap=True)
        grid.add_column()
        project = f"{cco.project_name} ({cco.project_number})" if cco.project_number else ""
        grid.add_row("Project", Text(project or cco.project_name))
        grid.add_row("Commitment", Text(cco.commitment_label))
        grid.add_row("Vendor", Text(cco.vendor or "—"))
        grid.add_row("Amount", money(cco.amount))
        grid.add_row("Synced", _when(cco.synced_at))
        detail = self.detail
        if detail is None:
            grid.add_row("Status", Text(READING, style="italic"))
        elif isinstance(detail, Failed):
            grid.add_row("Status", Text(f"{SIGN_WARNING} not read: {detail.reason}", style="bold"))
        else:
            grid.add_row("Status", Text(f"{detail.status or '—'} (read {_clock(detail.read_at)})"))
            if detail.created_by or detail.created_at:
                by = f"{detail.created_by}, " if detail.created_by else ""
                grid.add_row("Created", Text(f"{by}{_when(detail.created_at)}"))
        grid.add_row("Procore", Text(self.address, overflow="fold"))
        return grid

    def _quickbooks(self) -> RenderableType:
        title = Text("QuickBooks® Desktop", style="bold")
        check = self.check
        if check is None or isinstance(check, Failed):
            return _not_in_hand(title, check)
        sign = _CHECK_SIGNS.get(check.kind, SIGN_WARNING)
        lines: list[RenderableType] = [title]
        evidence = check.evidence
        if evidence is not None:
            title.append(f" (read {_clock(evidence.checked_at)})", style="not bold")
        lines.append(Text(f"  {sign} {check.message}"))
        return Group(*lines)

    def _lines(self) -> RenderableType:
        title = Text("Line items", style="bold")
        detail = self.detail
        if detail is None or isinstance(detail, Failed):
            return _not_in_hand(title, detail)
        if not detail.lines:
            return Group(title, Text("  none"))
        # Two lines per item, not a table: the pane is 40 to 80 columns wide, and a table's
        # columns would wrap its words apart.
        items: list[RenderableType] = [title]
        for line in detail.lines:
            first = Text("  ")
            first.append(line.description or "—")
            first.append(f"  {money(line.amount)}", style="bold")
            second = Text(f"    {line.cost_code or 'no cost code'} · ", style="dim")
            second.append(self._line_state(line.origin_id), style="not dim")
            items += [first, second]
        return Group(*items)

    def _line_state(self, origin_id: str | None) -> str:
        """Whether this line is still on the purchase order, as QuickBooks last said."""
        if origin_id is None:
            return "not linked"
        check = self.check
        if check is None:
            return READING
        if isinstance(check, Failed) or check.evidence is None:
            return f"{SIGN_WARNING} not known"
        evidence = check.evidence
        if origin_id in evidence.remaining:
            return f"{SIGN_REFUSED} still on PO {evidence.po_label}"
        return f"{SIGN_DONE} gone"
