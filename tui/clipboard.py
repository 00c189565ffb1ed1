"""Copying over SSH: Textual's copy_to_clipboard writes an OSC 52 sequence, which the person's
own terminal turns into a clipboard entry, however many machines are in between. Some terminals
ignore it, and so do tmux and screen unless told to pass it on: then the person is told where to
read the text instead."""

from __future__ import annotations

import os

# Where OSC 52 often goes nowhere: multiplexers pass it on only when configured to, and the
# Linux console and dumb terminals have no clipboard.
_MAY_DROP_OSC52 = ("TMUX", "STY")
_NO_CLIPBOARD_TERMS = ("linux", "dumb")


def may_not_copy() -> bool:
    """True when this terminal may well ignore OSC 52."""
    return (
        any(os.environ.get(name) for name in _MAY_DROP_OSC52)
        or os.environ.get("TERM", "") in _NO_CLIPBOARD_TERMS
    )


def copied(what: str, text: str) -> str:
    message = f"{what} sent to your terminal's clipboard (OSC 52): {text}"
    if may_not_copy():
        message += (
            "\nThis terminal may not accept OSC 52 (tmux needs 'set -g set-clipboard on'): "
            "if nothing was copied, copy it from here or from the detail pane."
        )
    return message
