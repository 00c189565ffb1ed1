"""Setup, one step at a time: each answer is checked where it is given, nothing is written until
the last step.

The screen keeps a draft of the settings (typed, as the app reads them) and changes it one answer
at a time; services do the asking (services.setup) and the writing (services.settings_writer).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import ContentSwitcher, Footer, Header, Input, OptionList, Static
from textual.widgets.option_list import Option, OptionDoesNotExist
from textual.worker import Worker, WorkerState

from services import messages
from services.errors import CcoUnlinkError, ProcoreSignInRequiredError, SettingsError
from services.models import Company
from services.procore import environments
from services.settings import ENV_NAME, Settings, replace, with_environment_secrets
from services.settings_writer import without_secrets, write_setup
from services.setup import SetupSignIn, check_connections
from services.target import Target
from services.urls import check_url
from tui.links import linked
from tui.setup import steps
from tui.setup.panes import step_panes
from tui.setup.review import review_text

log = logging.getLogger(__name__)

CLOSING = "closing"
"""The worker group closing a sign-in replaced by a new one."""

TargetFactory = Callable[[Settings], Target]
"""Builds the Target the app would build from settings (the command's wiring, passed in)."""

FIRST_FIELD = {
    "environment": "#environment-choice",
    "grant": "#grant-choice",
    "client": "#client-id",
    "company": "#company-choice",
    "connector": "#connector-url",
}
"""Where the keys go when a step opens; steps not named here act on their own (sign-in, test)."""


class SetupScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", id="setup-back"),
        Binding("enter", "continue", "Continue", id="setup-continue"),
    ]

    def __init__(self, current: Settings, path: Path, make_target: TargetFactory) -> None:
        super().__init__()
        self.path = path
        self.make_target = make_target
        draft = with_environment_secrets(without_secrets(current))
        first_run = current.backend.mode != "remote"
        self.draft = replace(
            draft,
            backend=replace(draft.backend, mode="remote"),
            # The built-in client id is the sandbox's demo user: no use for a real company.
            procore=replace(draft.procore, client_id="") if first_run else draft.procore,
        )
        self.step = steps.STEP_IDS[0]
        self.history: list[str] = []
        self.signer: SetupSignIn | None = None
        self.companies: list[Company] = []
        self.checks_passed = False

    # -- layout ----------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="setup-body"):
            yield Static("", id="setup-step-title", markup=False)
            yield Static("", id="setup-step-help", markup=False)
            yield from step_panes(self.draft, self.step)
            yield Static("", id="setup-problem", markup=False)
            yield Static("", id="setup-hint", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self._highlight("#environment-choice", self._environment_name())
        self._highlight("#grant-choice", self.draft.procore.grant)
        self._show_custom_urls(self._environment_name() == environments.CUSTOM)
        self.go(self.step, remember=False)

    # -- moving between steps --------------------------------------------------------------------
    def go(self, step: str, *, remember: bool = True) -> None:
        if remember and step != self.step:
            self.history.append(self.step)
        self.step = step
        self.query_one("#setup-steps", ContentSwitcher).current = step
        index = steps.STEP_IDS.index(step)
        about = steps.STEPS[index]
        self._say("#setup-step-title", f"Step {index + 1} of {len(steps.STEPS)} · {about.title}")
        self._say("#setup-step-help", about.help)
        self.problem("")
        self.hint("")
        self.set_focus(None)
        on_open: dict[str, Callable[[], object]] = {
            "sign-in": self._enter_sign_in,
            "company": self._enter_company,
            "check": self.run_checks,
            "review": self._enter_review,
        }
        if step in on_open:
            on_open[step]()
        if step in FIRST_FIELD:
            self.query_one(FIRST_FIELD[step]).focus()

    def action_back(self) -> None:
        self.workers.cancel_group(self, "setup")
        if not self.history:
            self.problem(steps.FIRST_STEP_BACK)
            return
        self.go(self.history.pop(), remember=False)

    def action_continue(self) -> None:
        """Enter where no field takes it: retry a failed step, or go on from a passed one."""
        if self.step == "sign-in":
            self._enter_sign_in()
        elif self.step == "check":
            if self.checks_passed:
                self.go("review")
            else:
                self.run_checks()
        elif self.step == "review":
            self._write()

    # -- 1. environment --------------------------------------------------------------------------
    @on(OptionList.OptionSelected, "#environment-choice")
    def _environment_picked(self, event: OptionList.OptionSelected) -> None:
        name = event.option.id or ""
        if name == environments.CUSTOM:
            self._show_custom_urls(True)
            self.query_one("#base-url", Input).focus()
            return
        self._show_custom_urls(False)
        self._answer(environment=name, base_url="", login_url="")
        self.go("grant")

    @on(Input.Submitted, "#base-url, #login-url")
    def _custom_urls_given(self) -> None:
        base_url = self.query_one("#base-url", Input).value.strip()
        login_url = self.query_one("#login-url", Input).value.strip()
        if not self._usable_url("Procore URL", base_url, required=True):
            return
        if not self._usable_url("Procore sign-in URL", login_url, required=False):
            return
        self._answer(environment=environments.CUSTOM, base_url=base_url, login_url=login_url)
        self.go("grant")

    # -- 2. grant --------------------------------------------------------------------------------
    @on(OptionList.OptionSelected, "#grant-choice")
    def _grant_picked(self, event: OptionList.OptionSelected) -> None:
        self._answer(grant=event.option.id)
        self.go("client")

    # -- 3. client id ----------------------------------------------------------------------------
    @on(Input.Submitted, "#client-id")
    def _client_given(self, event: Input.Submitted) -> None:
        client_id = event.value.strip()
        if not client_id:
            self.problem(messages.SETUP_NO_CLIENT_ID)
            return
        if not self.draft.procore.client_secret:
            self.problem(messages.SETUP_NO_SECRET)
            return
        self._answer(client_id=client_id)
        self.go("sign-in")

    # -- 4. sign in ------------------------------------------------------------------------------
    def _enter_sign_in(self) -> None:
        self.problem("")
        self._show_code_entry(False)
        try:
            signer = SetupSignIn(self.make_target(self.draft))
        except CcoUnlinkError as error:
            self.problem(error.message)
            self.hint(steps.SIGN_IN_FAILED)
            return
        previous, self.signer = self.signer, signer
        if previous is not None:
            self.run_worker(previous.aclose(), group=CLOSING, exit_on_error=False)
        if signer.needs_code:
            self._ask_for_code()
        else:
            self.sign_in()

    def _ask_for_code(self) -> None:
        assert self.signer is not None
        self.query_one("#authorize-url", Static).update(linked(self.signer.authorize_url or ""))
        self._show_code_entry(True)
        self.hint("")
        code = self.query_one("#sign-in-code", Input)
        code.value = ""
        code.focus()

    @on(Input.Submitted, "#sign-in-code")
    def _code_given(self, event: Input.Submitted) -> None:
        self.sign_in(event.value)

    @work(exclusive=True, group="setup", exit_on_error=False)
    async def sign_in(self, code: str | None = None) -> None:
        assert self.signer is not None
        self.problem("")
        self.hint(steps.SIGNING_IN)
        signed_in = await self.signer.sign_in(code)
        self.companies = signed_in.companies
        # Back from the company goes to the client id: signing in again is a step of its own.
        self.go("company", remember=False)

    # -- 5. company ------------------------------------------------------------------------------
    def _enter_company(self) -> None:
        choice = self.query_one("#company-choice", OptionList)
        choice.clear_options()
        choice.add_options(
            Option(f"{company.name}  ·  {company.id}", id=str(company.id))
            for company in self.companies
        )
        self._highlight("#company-choice", str(self.draft.procore.company_id))

    @on(OptionList.OptionSelected, "#company-choice")
    def _company_picked(self, event: OptionList.OptionSelected) -> None:
        self._answer(company_id=int(event.option.id or 0))
        self.go("connector")

    # -- 6. connector ----------------------------------------------------------------------------
    @on(Input.Changed, "#token-env")
    def _token_env_typed(self, event: Input.Changed) -> None:
        name = event.value.strip()
        self._say("#token-status", steps.secret_status(name, bool(os.environ.get(name))))

    @on(Input.Submitted, "#connector-url, #token-env")
    def _connector_given(self) -> None:
        url = self.query_one("#connector-url", Input).value.strip()
        token_env = self.query_one("#token-env", Input).value.strip()
        if not self._usable_url("connector URL", url, required=True):
            return
        if not ENV_NAME.match(token_env):
            self.problem(messages.setup_not_env_name(token_env))
            return
        quickbooks = replace(
            self.draft.quickbooks, connector_url=url, token_env=token_env, token=""
        )
        # The token comes from the variable named, as the app will read it.
        self.draft = with_environment_secrets(replace(self.draft, quickbooks=quickbooks))
        if not self.draft.quickbooks.token:
            self.problem(messages.setup_no_token(token_env))
            return
        self.go("check")

    # -- 7. test both connections ----------------------------------------------------------------
    @work(exclusive=True, group="setup", exit_on_error=False)
    async def run_checks(self) -> None:
        self.checks_passed = False
        for selector in ("#procore-check", "#quickbooks-check"):
            self._say(selector, "")
        self.problem("")
        self.hint(steps.CHECKING)
        checks = await check_connections(self.make_target(self.draft))
        for selector, check in (
            ("#procore-check", checks.procore),
            ("#quickbooks-check", checks.quickbooks),
        ):
            shown = self.query_one(selector, Static)
            shown.update(check.message)
            shown.set_class(check.ok, "-ok")
            shown.set_class(not check.ok, "-failed")
        self.checks_passed = checks.ok
        self.hint(steps.CHECK_PASSED if checks.ok else steps.CHECK_FAILED)

    # -- 8. review and write ---------------------------------------------------------------------
    def _enter_review(self) -> None:
        self._say("#review-summary", review_text(self.draft, self.path, self.companies))

    def _write(self) -> None:
        try:
            written = write_setup(self.draft, self.path)
        except SettingsError as error:
            self.problem(error.message)
            return
        except OSError as error:
            self.problem(
                messages.setup_could_not_write(str(self.path), error.strerror or str(error))
            )
            return
        self.app.exit(written)

    # -- the one place a step's failure is shown -------------------------------------------------
    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state is not WorkerState.ERROR:
            return
        error = event.worker.error
        if event.worker.group == CLOSING:
            # A sign-in no longer used: nothing the person could do, nor needs to know.
            log.warning("closing the previous sign-in failed", exc_info=error)
            return
        signer = self.signer
        if isinstance(error, ProcoreSignInRequiredError) and signer and signer.authorize_url:
            self._ask_for_code()
        if isinstance(error, CcoUnlinkError):
            self.problem(error.message)
        else:
            log.error("setup step failed", exc_info=error)
            self.problem(messages.SETUP_UNEXPECTED)
        if self.step == "check":
            self.hint(steps.CHECK_FAILED)
        elif self.step == "sign-in" and not self._code_entry_shown:
            self.hint(steps.SIGN_IN_FAILED)
        else:
            self.hint("")

    async def on_unmount(self) -> None:
        if self.signer is not None:
            await self.signer.aclose()

    # -- small helpers ---------------------------------------------------------------------------
    def _answer(self, **procore: Any) -> None:
        """Take answers into the draft's [procore] section."""
        self.draft = replace(self.draft, procore=replace(self.draft.procore, **procore))

    def _usable_url(self, label: str, url: str, *, required: bool) -> bool:
        """Whether the app could use this address; if not, the step says why."""
        if not url:
            if required:
                self.problem(messages.setup_url_missing(label))
            return not required
        try:
            check_url(label, url)
        except SettingsError as error:
            self.problem(error.message)
            return False
        return True

    def problem(self, text: str) -> None:
        self._say("#setup-problem", text)

    def hint(self, text: str) -> None:
        self._say("#setup-hint", text)

    def _say(self, selector: str, text: str) -> None:
        self.query_one(selector, Static).update(text)

    def _environment_name(self) -> str:
        procore = self.draft.procore
        try:
            return environments.resolve(
                procore.environment, procore.base_url, procore.login_url
            ).name
        except SettingsError:
            return procore.environment

    def _highlight(self, selector: str, option_id: str) -> None:
        choice = self.query_one(selector, OptionList)
        try:
            choice.highlighted = choice.get_option_index(option_id)
        except OptionDoesNotExist:  # not among them (a first run): the first one is
            choice.highlighted = 0 if choice.option_count else None

    def _show_custom_urls(self, shown: bool) -> None:
        self._toggle(self.query_one("#custom-urls"), shown)

    def _show_code_entry(self, shown: bool) -> None:
        self._toggle(self.query_one("#code-entry"), shown)

    @property
    def _code_entry_shown(self) -> bool:
        return self.query_one("#code-entry").has_class("-shown")

    @staticmethod
    def _toggle(widget: Widget, shown: bool) -> None:
        widget.set_class(shown, "-shown")
