"""Headless Chromium driven over the DevTools protocol: just what the browser-mode test needs.

Chromium is Debian's package (/usr/bin/chromium); nothing is downloaded. The protocol runs over a
WebSocket, spoken here with aiohttp (already installed: textual-serve is built on it).
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
import re
import shutil
import subprocess
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp

FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--remote-debugging-address=127.0.0.1",
    "--remote-debugging-port=0",
)
# Colour, cursor and mode sequences in what the app writes to the terminal.
_ESCAPES = re.compile(
    rb"\x1b\[[0-?]*[ -/]*[@-~]"  # CSI: colours, cursor moves, modes
    rb"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)"  # OSC: title, clipboard
    rb"|\x1b[()][0-9A-Za-z]"  # character sets
)
# Escape is a key without text: the terminal in the page writes its byte itself.
_NAMED_KEYS = {"Enter": (13, "\r"), "Escape": (27, "")}


def executable() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


class Page:
    """One browser tab: commands out, their answers and events in."""

    def __init__(self, socket: aiohttp.ClientWebSocketResponse) -> None:
        self._socket = socket
        self._ids = itertools.count(1)
        self._waiting: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self.terminal_output = bytearray()
        """Everything the served app sent this tab to draw (its WebSocket's binary frames)."""
        self._reader = asyncio.create_task(self._read())

    async def send(self, method: str, **params: Any) -> dict[str, Any]:
        number = next(self._ids)
        answer = asyncio.get_running_loop().create_future()
        self._waiting[number] = answer
        await self._socket.send_json({"id": number, "method": method, "params": params})
        return await asyncio.wait_for(answer, 15)

    async def _read(self) -> None:
        async for message in self._socket:
            if message.type is not aiohttp.WSMsgType.TEXT:
                continue
            data = json.loads(message.data)
            if "id" in data:
                future = self._waiting.pop(data["id"], None)
                if future is not None and not future.done():
                    if "error" in data:
                        future.set_exception(RuntimeError(str(data["error"])))
                    else:
                        future.set_result(data.get("result", {}))
            elif data.get("method") == "Network.webSocketFrameReceived":
                response = data["params"]["response"]
                if response.get("opcode") == 2:  # binary: the terminal's bytes
                    self.terminal_output += base64.b64decode(response["payloadData"])

    def mark(self) -> int:
        """Where the output stands now: wait_for_text(since=mark) looks only at what follows."""
        return len(self.terminal_output)

    def screen_text(self, since: int = 0) -> str:
        """The app's output with the terminal's control sequences taken out."""
        output = bytes(self.terminal_output[since:])
        return _ESCAPES.sub(b"", output).decode("utf-8", "replace")

    async def wait_for_text(self, *texts: str, since: int = 0, timeout: float = 10.0) -> str:
        """The first of `texts` the app draws (after `since`); an AssertionError if none is."""

        async def seen() -> str:
            while True:
                shown = self.screen_text(since)
                found = next((text for text in texts if text in shown), None)
                if found is not None:
                    return found
                await asyncio.sleep(0.05)

        try:
            return await asyncio.wait_for(seen(), timeout)
        except TimeoutError:
            tail = self.screen_text(since)[-2000:]
            raise AssertionError(
                f"{texts!r} never appeared in the browser; last:\n{tail}"
            ) from None

    async def evaluate(self, expression: str) -> Any:
        result = await self.send("Runtime.evaluate", expression=expression, returnByValue=True)
        return result.get("result", {}).get("value")

    async def type(self, keys: str) -> None:
        """Key presses as a person makes them, to whatever has the focus."""
        for key in keys:
            await self.send("Input.dispatchKeyEvent", type="keyDown", key=key, text=key)
            await self.send("Input.dispatchKeyEvent", type="keyUp", key=key)

    async def press(self, key: str) -> None:
        """A named key: "Enter" or "Escape"."""
        code, text = _NAMED_KEYS[key]
        common = {"key": key, "code": key, "windowsVirtualKeyCode": code}
        down = {"type": "keyDown", "text": text} if text else {"type": "rawKeyDown"}
        await self.send("Input.dispatchKeyEvent", **down, **common)
        await self.send("Input.dispatchKeyEvent", type="keyUp", **common)

    async def screenshot(self) -> bytes:
        shot = await self.send("Page.captureScreenshot", format="png")
        return base64.b64decode(shot["data"])

    async def close(self) -> None:
        self._reader.cancel()
        await self._socket.close()


@asynccontextmanager
async def chromium(profile: Path, width: int = 1280, height: int = 800) -> AsyncIterator[Page]:
    """Start a headless Chromium with an empty profile and hand over its first tab."""
    binary = executable()
    assert binary is not None, "chromium is not installed"
    process = subprocess.Popen(
        [binary, *FLAGS, f"--user-data-dir={profile}", f"--window-size={width},{height}"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        port = await _devtools_port(profile, process)
        async with aiohttp.ClientSession() as http:
            async with http.get(f"http://127.0.0.1:{port}/json/list") as answer:
                targets = await answer.json()
            page_url = next(t["webSocketDebuggerUrl"] for t in targets if t["type"] == "page")
            socket = await http.ws_connect(page_url, max_msg_size=0)
            page = Page(socket)
            try:
                await page.send("Page.enable")
                await page.send("Network.enable")
                yield page
            finally:
                await page.close()
    finally:
        process.terminate()
        try:
            process.wait(5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


async def _devtools_port(profile: Path, process: subprocess.Popen[bytes]) -> int:
    """Chromium writes the port it picked into the profile once it listens."""
    marker = profile / "DevToolsActivePort"
    for _ in range(200):
        if process.poll() is not None:
            raise AssertionError(f"chromium exited with status {process.returncode}")
        if marker.is_file():
            first = marker.read_text().splitlines()[:1]
            if first and first[0].isdigit():
                return int(first[0])
        await asyncio.sleep(0.05)
    raise AssertionError("chromium did not open its DevTools port in 10 s")
