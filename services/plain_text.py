"""Words from outside, made safe to show: Procore's names and titles, its and QuickBooks' error
text. Each control character becomes a space, so none reaches a terminal as a command: over SSH
an escape sequence in a CCO title could clear the screen or set the clipboard, and Textual
passes ESC through as it is. An error's text is also cut to a length a message can hold."""

from __future__ import annotations

MAX_SAID = 300
"""The most of someone's error text a message quotes (choice): a reply may carry megabytes."""


def printable(text: str) -> str:
    """`text` with each character that is not printable (a tab, a newline, ESC) a space."""
    if text.isprintable():  # the usual case, in C: no copy
        return text
    return "".join(c if c.isprintable() else " " for c in text)


def said(text: str) -> str:
    """Someone else's error text, for a message: printable, at most MAX_SAID characters."""
    if len(text) > MAX_SAID:
        return printable(text[: MAX_SAID - 1]) + "…"
    return printable(text)
