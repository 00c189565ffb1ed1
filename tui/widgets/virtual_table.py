"""A table that paints only the rows on screen, so 100,000 rows cost what 40 do.

Textual's DataTable measures and lays out every row it holds; at 100,000 rows that freezes the UI
for seconds. This widget holds nothing but an ordered list of row keys: painting a line asks the
subclass for that one row's cells, so showing, filtering or sorting a list is the cost of building
a Python list, and the screen repaints only what is visible.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import ClassVar, Literal

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Region, Size
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.timer import Timer

from tui.widgets.column_layout import GAP, MARGIN, Column, layout, total_width

ELLIPSIS = "…"
# Rows appended below the screen make the scrollbar this late at most (see append).
RESIZE_PAUSE_S = 0.5
_BOLD = Style(bold=True)


def fit(
    text: str, width: int, align: Literal["left", "right"] = "left", *, clip: bool = False
) -> str:
    """`text` in exactly `width` terminal cells: cut with an ellipsis (or `clip`ped), or padded."""
    if width <= 0:
        return ""
    if cell_len(text) > width:
        if clip:
            return set_cell_size(text, width)
        return set_cell_size(text, width - 1) + ELLIPSIS
    if align == "right":
        return " " * (width - cell_len(text)) + text
    return set_cell_size(text, width)


def _whole_words(label: str, width: int) -> str:
    """The leading words of a header `label` that fit in `width` cells, so a sort arrow beside
    it leaves "CCO" rather than "CC…"; a first word too long for the width is cut by `fit`."""
    words = label.split(" ")
    while len(words) > 1 and cell_len(" ".join(words)) > width:
        words.pop()
    return " ".join(words)


class VirtualTable(ScrollView, can_focus=True):
    """Rows are keys (ints); subclasses say what each row shows with `cells_for`.

    Column widths follow the table's width and the texts held (see column_layout), and are
    worked out again on resize and when wider texts arrive."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up,k", "cursor_up", "Up", show=False, id="cursor-up"),
        Binding("down,j", "cursor_down", "Down", show=False, id="cursor-down"),
        Binding("pageup", "page_up", "Page up", show=False, id="page-up"),
        Binding("pagedown", "page_down", "Page down", show=False, id="page-down"),
        Binding("home,g", "first_row", "First row", show=False, id="first-row"),
        Binding("end,G", "last_row", "Last row", show=False, id="last-row"),
    ]

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "virtual-table--header",
        "virtual-table--cursor",
        "virtual-table--even-row",
        "virtual-table--odd-row",
    }

    DEFAULT_CSS = """
    VirtualTable {
        /* The vertical scrollbar's room is kept whether it shows or not: the columns are laid
           out for a width that does not change when rows arrive. */
        scrollbar-gutter: stable;
        scrollbar-size-vertical: 1;
        background: $surface;
        color: $foreground;
        &:focus {
            background-tint: $foreground 5%;
            & > .virtual-table--cursor {
                background: $block-cursor-background;
                color: $block-cursor-foreground;
                text-style: $block-cursor-text-style;
            }
        }
        & > .virtual-table--header {
            text-style: bold;
            background: $panel;
            color: $foreground;
        }
        & > .virtual-table--even-row {
            background: $surface-lighten-1 50%;
        }
        & > .virtual-table--odd-row {
        }
        & > .virtual-table--cursor {
            background: $block-cursor-blurred-background;
            color: $block-cursor-blurred-foreground;
            text-style: $block-cursor-blurred-text-style;
        }
    }
    """

    def __init__(self, columns: Sequence[Column], *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.columns: tuple[Column, ...] = tuple(columns)
        self._keys: list[int] = []
        self.cursor_row = 0
        self._resize_timer: Timer | None = None
        self.paints = 0
        """How many times the visible rows were painted: lets a benchmark see the screen update."""
        self.painted = asyncio.Event()
        """Set once the table has been painted, rows or not."""
        self.rows_painted = asyncio.Event()
        """Set once rows have been painted: start-up work that can wait, waits for it."""
        self._base_style = Style.null()
        """The widget's own style, as of the paint under way (see render_lines)."""
        self.widths: dict[str, int] = {}
        """Width of each column shown, in column order; columns left out are absent."""
        self._laid_out_for: tuple[int, tuple[tuple[str, int], ...]] | None = None
        self._width = 0

    # What subclasses provide -----------------------------------------------------------------

    def cells_for(self, key: int) -> Sequence[str]:
        """The row's cell texts, one per column; shown literally, never read as markup."""
        raise NotImplementedError

    def header_label(self, column: Column) -> str:
        return column.label

    def header_mark(self, column: Column) -> str:
        """Shown after the label, never cut (a sort arrow, for example)."""
        return ""

    def empty_text(self) -> str:
        """Shown under the header when no row is (a filter that matches nothing, say)."""
        return ""

    def natural_widths(self) -> dict[str, int]:
        """The width of each column's widest text; the header labels are counted here."""
        return {}

    def emphasised_columns(self) -> frozenset[str]:
        """Columns drawn in bold (a status column, for example)."""
        return frozenset()

    # Columns ------------------------------------------------------------------------------

    @property
    def shown_columns(self) -> list[Column]:
        return [c for c in self.columns if c.key in self.widths]

    def relayout(self) -> None:
        """Work the widths out again if the width at hand or the texts held have changed."""
        if self._lay_out():
            self.refresh()

    def _lay_out(self) -> bool:
        """The widths for the width at hand and the texts held; True when they changed."""
        available = self.scrollable_content_region.width
        if available <= 0:
            return False
        natural = self.natural_widths()
        for column in self.columns:
            label = cell_len(self.header_label(column)) + cell_len(self.header_mark(column))
            natural[column.key] = max(natural.get(column.key, 0), label)
        state = (available, tuple(sorted(natural.items())))
        if state == self._laid_out_for:
            return False
        self._laid_out_for = state
        self.widths = layout(self.columns, available, natural)
        self._width = total_width(self.widths)
        self._resize_virtual()
        return True

    def on_resize(self) -> None:
        self.relayout()

    @property
    def _fixed_width(self) -> int:
        """Cells at the left that stay put when scrolling sideways."""
        width = MARGIN
        for column in self.shown_columns:
            if not column.fixed:
                break
            width += self.widths[column.key] + GAP
        return width

    # The view -----------------------------------------------------------------------------

    @property
    def row_count(self) -> int:
        return len(self._keys)

    @property
    def row_keys(self) -> Sequence[int]:
        """The keys in the order shown."""
        return self._keys

    @property
    def current_key(self) -> int | None:
        if not self._keys:
            return None
        return self._keys[self.cursor_row]

    def get_row_index(self, key: int) -> int:
        """Where `key` is shown; KeyError when the view does not hold it. One scan in C (a few
        milliseconds over a million rows): a map of every position would cost more memory
        than the row keys themselves."""
        try:
            return self._keys.index(key)
        except ValueError:
            raise KeyError(key) from None

    def has_row(self, key: int) -> bool:
        try:
            self.get_row_index(key)
        except KeyError:
            return False
        return True

    def show(
        self, keys: list[int], *, keep_cursor: bool = True, cursor_at: int | None = None
    ) -> None:
        """Show exactly `keys`, in this order; the cursor stays on the same row if it can.
        `cursor_at`: where that row is in `keys`, if known (a million keys take milliseconds
        to search)."""
        previous = self.current_key if keep_cursor else None
        self._keys = keys
        row = 0
        if cursor_at is not None and previous is not None and keys[cursor_at] == previous:
            row = cursor_at
        elif previous is not None and self._keys:
            try:
                # One scan in C: cheaper than building the position map a lookup would need.
                row = self._keys.index(previous)
            except ValueError:
                row = min(self.cursor_row, len(self._keys) - 1)
        self._resize_virtual()
        self.move_cursor(row=row)
        self.refresh()

    def append(self, keys: Sequence[int]) -> None:
        """Add rows at the end, leaving the cursor where it is (rows arriving while loading).

        Rows that land below the screen change nothing on it but the scrollbar, and a change of
        the virtual size lays the screen out again: that waits up to RESIZE_PAUSE_S, so that a
        load arriving a project at a time repaints a few times a second, not per project."""
        if not keys:
            return
        start = len(self._keys)
        self._keys.extend(keys)
        if start < int(self.scroll_y) + self.scrollable_content_region.height:
            self._resize_virtual()
            self.refresh()
        elif self._resize_timer is None:
            self._resize_timer = self.set_timer(RESIZE_PAUSE_S, self._resize_virtual)

    def remove_key(self, key: int) -> None:
        try:
            index = self.get_row_index(key)
        except KeyError:
            return
        del self._keys[index]
        self._resize_virtual()
        self.move_cursor(row=min(self.cursor_row, max(0, len(self._keys) - 1)))
        self.refresh()

    def refresh_row(self, key: int) -> None:
        """Repaint `key`'s line if it is on screen (only the rows on screen are looked at)."""
        top = int(self.scroll_y)
        on_screen = self._keys[top : top + self.scrollable_content_region.height]
        if key in on_screen:
            self.refresh_line(top + on_screen.index(key) + 1)

    def move_cursor(self, *, row: int) -> None:
        if self._resize_timer is not None:
            self._resize_virtual()  # the rows held all reachable before moving among them
        row = max(0, min(row, len(self._keys) - 1)) if self._keys else 0
        if row != self.cursor_row:
            self.refresh_line(self.cursor_row + 1)
            self.cursor_row = row
        self.refresh_line(row + 1)
        self._scroll_cursor_into_view()

    # Keys and mouse -----------------------------------------------------------------------

    @property
    def _page_rows(self) -> int:
        return max(1, self.scrollable_content_region.height - 1)

    def action_cursor_up(self) -> None:
        self.move_cursor(row=self.cursor_row - 1)

    def action_cursor_down(self) -> None:
        self.move_cursor(row=self.cursor_row + 1)

    def action_page_up(self) -> None:
        self.move_cursor(row=self.cursor_row - self._page_rows)

    def action_page_down(self) -> None:
        self.move_cursor(row=self.cursor_row + self._page_rows)

    def action_first_row(self) -> None:
        self.move_cursor(row=0)

    def action_last_row(self) -> None:
        self.move_cursor(row=len(self._keys) - 1)

    def on_click(self, event: events.Click) -> None:
        if event.y >= 1:
            self.move_cursor(row=int(self.scroll_y) + event.y - 1)

    # Painting -----------------------------------------------------------------------------

    def _resize_virtual(self) -> None:
        if self._resize_timer is not None:
            self._resize_timer.stop()
            self._resize_timer = None
        self.virtual_size = Size(self._width, len(self._keys) + 1)

    def _scroll_cursor_into_view(self) -> None:
        top = int(self.scroll_y)
        visible = self._page_rows
        if self.cursor_row < top:
            self.scroll_to(y=self.cursor_row, animate=False, immediate=True)
        elif self.cursor_row >= top + visible:
            self.scroll_to(y=self.cursor_row - visible + 1, animate=False, immediate=True)

    def render_lines(self, crop: Region) -> list[Strip]:
        if self._laid_out_for is None:
            # Textual tells a widget its size (on_resize) only after painting it once: laid
            # out here, the first frame already holds the header and rows, not an empty box.
            self._lay_out()
        self.paints += 1
        self.painted.set()
        if self._keys and self.widths:
            self.rows_painted.set()
        # Worked out once a paint, not once a line: it walks the widget's ancestors each time.
        self._base_style = self.rich_style
        return super().render_lines(crop)

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        if y == 0:
            style = self.get_component_rich_style("virtual-table--header")
            strip = self._header_strip(style)
        else:
            index = int(self.scroll_y) + y - 1
            if index >= len(self._keys):
                if index == 0 and (empty := self.empty_text()):
                    text = " " * MARGIN + fit(empty, width - MARGIN)
                    return Strip([Segment(text, self._base_style)], width)
                return Strip.blank(width, self._base_style)
            style = self._row_style(index)
            strip = self._strip(self.cells_for(self._keys[index]), style, self._emphasis())
        scroll_x = int(self.scroll_x)
        if scroll_x:
            fixed = min(self._fixed_width, width)
            start = fixed + scroll_x
            strip = Strip.join([strip.crop(0, fixed), strip.crop(start, start + width - fixed)])
        return strip.crop(0, width).extend_cell_length(width, style)

    def _emphasis(self) -> frozenset[str]:
        return self.emphasised_columns()

    def _row_style(self, index: int) -> Style:
        base = self._base_style
        stripe = "virtual-table--even-row" if index % 2 == 0 else "virtual-table--odd-row"
        style = base + self.get_component_rich_style(stripe)
        if index == self.cursor_row:
            style += self.get_component_rich_style("virtual-table--cursor")
        return style

    def cell_style(self, column: Column, text: str, style: Style) -> Style:
        """The style of one cell; subclasses colour some (a status mark, for example)."""
        return style

    def _header_strip(self, style: Style) -> Strip:
        segments = [Segment(" " * MARGIN, style)]
        gap = " " * GAP
        for column in self.shown_columns:
            width = self.widths[column.key]
            mark = self.header_mark(column)
            room = max(0, width - cell_len(mark))
            label = fit(_whole_words(self.header_label(column), room), room, column.align)
            text = fit(label + mark, width, column.align, clip=True)
            segments.append(Segment(text + gap, style))
        return Strip(segments, self._width)

    def _strip(self, texts: Sequence[str], style: Style, emphasis: frozenset[str]) -> Strip:
        gap = " " * GAP
        bold = style + _BOLD
        segments = [Segment(" " * MARGIN, style)]
        widths = self.widths
        for column, text in zip(self.columns, texts, strict=True):
            width = widths.get(column.key)
            if width is None:
                continue
            cell_style = self.cell_style(column, text, bold if column.key in emphasis else style)
            cell = fit(text, width, column.align, clip=column.clip)
            segments.append(Segment(cell, cell_style))
            segments.append(Segment(gap, style))
        return Strip(segments, self._width)
