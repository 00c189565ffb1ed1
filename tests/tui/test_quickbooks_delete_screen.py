"""`x` from the screen: offered on a real company only with allow_delete, confirmed by typing
the purchase order's number, and nothing changes on a cancel or a wrong word."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Static

from sandbox import inspect
from tests.helpers import demo_cco_id
from tests.tui.conftest import AppRunner, delete_in_quickbooks, notifications, settle
from tui.screens.typed_confirm import TypedConfirmScreen


def _footer_keys(pilot: object) -> set[str]:
    screen = pilot.app.screen  # type: ignore[attr-defined]
    return {b.binding.key for b in screen.active_bindings.values() if b.binding.show}


async def test_a_real_company_hides_x_until_deleting_is_allowed(run_app: AppRunner) -> None:
    async with run_app(is_sandbox=False) as pilot:
        assert "x" not in _footer_keys(pilot)
        await pilot.press("x")
        await settle(pilot)
        assert not notifications(pilot)
        assert not isinstance(pilot.app.screen, TypedConfirmScreen)
    async with run_app(is_sandbox=False, allow_quickbooks_delete=True) as pilot:
        assert "x" in _footer_keys(pilot)


async def test_the_confirmation_names_the_order_and_amount_and_wants_its_number_typed(
    run_app: AppRunner, sandbox_data: Path
) -> None:
    cco_id = demo_cco_id(sandbox_data, in_quickbooks=True)
    async with run_app(is_sandbox=False, allow_quickbooks_delete=True) as pilot:
        dialog = await delete_in_quickbooks(pilot, cco_id, sandbox_data, typed="wrong")
        assert pilot.app.screen is dialog  # still asking
        question = str(dialog.query_one("#typed-question", Static).render())
        assert f"purchase order {dialog.expected}" in question
        assert "amount " in question and f"number, {dialog.expected}, to delete" in question
        hint = str(dialog.query_one("#typed-problem", Static).render())
        assert f"That is not {dialog.expected}" in hint
        await pilot.press("escape")
        await settle(pilot)
        assert not isinstance(pilot.app.screen, TypedConfirmScreen)
    ccos = {c.id: c for c in inspect.synced_ccos(sandbox_data)}
    assert ccos[cco_id].in_quickbooks  # a cancel deletes nothing


async def test_typing_the_number_deletes_and_the_unlink_then_succeeds_on_a_real_company(
    run_app: AppRunner, sandbox_data: Path
) -> None:
    cco_id = demo_cco_id(sandbox_data, in_quickbooks=True)
    async with run_app(is_sandbox=False, allow_quickbooks_delete=True) as pilot:
        await delete_in_quickbooks(pilot, cco_id, sandbox_data)
        assert notifications(pilot)[-1].message.startswith("Deleted in QuickBooks® Desktop")
        assert notifications(pilot)[-1].severity == "information"
    ccos = {c.id: c for c in inspect.synced_ccos(sandbox_data)}
    assert not ccos[cco_id].in_quickbooks
