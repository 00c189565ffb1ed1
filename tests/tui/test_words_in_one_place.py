"""The sentences a person reads come from services/messages.py (one place for each, the same
words on the screen and from the headless commands): the screens pass them on, they do not write
their own. Titles and key hints stay beside their widgets."""

from __future__ import annotations

import ast
import re

from tests.conftest import REPO_ROOT

MESSAGE_ARGUMENT = {"toast": 2, "_toast": 1, "notify": 0, "_set_status": 0}
"""Calls whose argument at this position is a message to read: no words of its own."""
TEXT_ARGUMENT = {"Static": 0, "update": 0}
"""Calls whose argument may be a heading, but not a sentence."""
SENTENCE = re.compile(r"[A-Za-z][.?:]\s*$|[A-Za-z][.?]\s+[A-Z]")


def _own_words(node: ast.expr) -> str:
    """The text an argument spells out itself (the literal parts of an f-string or a sum)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(_own_words(part) for part in node.values)
    if isinstance(node, ast.BinOp):
        return _own_words(node.left) + _own_words(node.right)
    return ""


def _worded_calls(source: str) -> list[tuple[int, str]]:
    """The calls in `source` that pass words of their own as a message, or a sentence as text."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        name = getattr(node.func, "attr", None) or getattr(node.func, "id", "")
        if name in MESSAGE_ARGUMENT and len(node.args) > MESSAGE_ARGUMENT[name]:
            words = _own_words(node.args[MESSAGE_ARGUMENT[name]])
            if re.search("[A-Za-z]", words):
                found.append((node.lineno, words))
        if name in TEXT_ARGUMENT and len(node.args) > TEXT_ARGUMENT[name]:
            words = _own_words(node.args[TEXT_ARGUMENT[name]])
            if SENTENCE.search(words):
                found.append((node.lineno, words))
    return found


def test_the_screens_take_their_sentences_from_the_messages_module() -> None:
    written_in_place = [
        f"{path.relative_to(REPO_ROOT)}:{line} {words!r}"
        for path in sorted((REPO_ROOT / "tui").rglob("*.py"))
        for line, words in _worded_calls(path.read_text(encoding="utf-8"))
    ]
    assert written_in_place == []


def test_the_check_finds_a_sentence_written_in_place() -> None:
    """The check meets its case: each kind of call it reads, with words of its own, is found."""
    source = (
        'toast(app, look, "Nothing was saved.")\n'
        'self._toast(look, f"{n} rows: {path}")\n'
        'self._set_status("Connecting" + "…")\n'
        'Static("1. Open this address:")\n'
        'box.update(f"That is not {x}: nothing was deleted.")\n'
        'Static("Row marks")\n'
        "self._toast(look, messages.NO_ROW_SHOWN)\n"
        'self._set_status(f"{note} · {messages.CONNECTING}")\n'
    )
    assert [line for line, _ in _worded_calls(source)] == [1, 2, 3, 4, 5]
