"""An address on the screen as a link (OSC 8): where the terminal supports it, the address opens
or copies whole, even where it wraps onto two lines (a sign-in address at 80 columns), and over
SSH too. Elsewhere it reads as plain text."""

from __future__ import annotations

from textual.content import Content
from textual.style import Style


def linked(address: str) -> Content:
    return Content.styled(address, Style(link=address))
