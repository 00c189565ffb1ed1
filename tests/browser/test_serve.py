"""`cco-unlink serve` in a real headless Chromium: the page loads, the list renders, and `u` `y`
on a CCO gone from QuickBooks unlinks it, as the person sees it in the browser and as the sandbox
holds it afterwards."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import pytest

from sandbox import SandboxServer, demo, inspect
from tests.browser import chromium
from tests.helpers import is_linked

SCREENSHOT_ENV = "BROWSER_SCREENSHOT"
"""Set to a path to keep the browser's picture there (docs/browser.png is made so)."""

if chromium.executable() is None:
    if os.environ.get("CI") == "true":
        raise RuntimeError("chromium is missing under CI: .ci/run installs it")
    pytest.skip(
        "chromium is not installed (Debian: apt-get install chromium); CI installs it",
        allow_module_level=True,
    )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@pytest.fixture
def served(sandbox: SandboxServer, tmp_path: Path) -> Iterator[str]:
    """`cco-unlink serve` on loopback, its sessions working against the test's sandbox."""
    settings = tmp_path / "settings.toml"
    settings.write_text(
        "[backend]\nmode = 'remote'\n"
        f"[procore]\nenvironment = 'custom'\nbase_url = '{sandbox.base_url}'\n"
        f"client_id = 'admin'\ncompany_id = {demo.SUMMIT_COMPANY_ID}\n"
        f"[quickbooks]\nconnector_url = '{sandbox.connector_url}'\n"
    )
    port = free_port()
    environment = {
        **os.environ,
        "PROCORE_CLIENT_SECRET": "sandbox",
        "QUICKBOOKS_CONNECTOR_TOKEN": "sandbox",
    }
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "cco_unlink",
            "--settings",
            str(settings),
            "serve",
            "--port",
            f"{port}",
        ],
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        _, errors = server.communicate(timeout=10)
        assert b"Traceback" not in errors, errors.decode()


async def open_page(page: chromium.Page, url: str) -> None:
    """Navigate once the server listens (it starts beside the browser)."""
    for _ in range(100):
        try:
            with socket.create_connection(("127.0.0.1", int(url.rsplit(":", 1)[1])), 0.2):
                break
        except OSError:
            await asyncio.sleep(0.05)
    await page.send("Page.navigate", url=f"{url}/?fontsize=14")


async def test_the_browser_shows_the_list_and_unlinks_a_cco_gone_from_quickbooks(
    served: str, sandbox_data: Path, tmp_path: Path
) -> None:
    ccos = inspect.synced_ccos(sandbox_data, demo.SUMMIT_COMPANY_ID)
    titles = [cco.title for cco in ccos]
    gone = next(c for c in ccos if not c.in_quickbooks and titles.count(c.title) == 1)
    present = next(c for c in ccos if c.in_quickbooks)

    async with chromium.chromium(tmp_path / "profile", 1280, 720) as page:
        await open_page(page, served)
        # A page from another site cannot open a session through the person's browser.
        async with aiohttp.ClientSession() as http:
            with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
                await http.ws_connect(f"{served}/ws", headers={"Origin": "https://evil.example"})
            assert refused.value.status == 403
        await page.wait_for_text("Successfully Synced with QuickBooks")
        await page.wait_for_text(*titles)  # rows, not only the title
        # The page itself, not only the bytes: its terminal drew the app's first frame.
        assert await page.evaluate("document.body.classList.contains('-first-byte')") is True

        # Keys go where a person's would: into the terminal in the page.
        await page.evaluate("document.querySelector('.xterm-helper-textarea').focus()")
        mark = page.mark()
        await page.type("/")
        await page.wait_for_text("Filter: every word", since=mark)
        mark = page.mark()
        await page.type(gone.title)
        await page.wait_for_text(f"filter “{gone.title.lower()}”", since=mark)
        await page.press("Enter")
        # Enter hands the keys back to the list once the app has handled it; a person reads
        # the screen before pressing on, and so does this test.
        await asyncio.sleep(0.5)
        mark = page.mark()
        await page.type("u")
        await page.wait_for_text("Unlink CCO", since=mark)  # the question, not a filter
        mark = page.mark()
        await page.type("y")
        await page.wait_for_text("Successfully Unlinked", since=mark)

        # The whole list again, the green toast still up: the picture the docs show. The first
        # Esc closes the detail pane the unlink opened (with step 3), the second the filter.
        await page.press("Escape")
        mark = page.mark()
        await page.press("Escape")
        await page.wait_for_text(*(t for t in titles if t != gone.title), since=mark)
        await asyncio.sleep(0.3)
        picture = await page.screenshot()

    assert not is_linked(sandbox_data, gone.id)
    assert is_linked(sandbox_data, present.id)
    assert picture.startswith(b"\x89PNG") and len(picture) > 10_000
    keep = os.environ.get(SCREENSHOT_ENV)
    if keep:
        Path(keep).write_bytes(picture)
