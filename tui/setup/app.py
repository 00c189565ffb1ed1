"""The app `cco-unlink setup` runs: one screen of steps; it ends with the file written, or not."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from textual.app import App
from textual.binding import Binding, BindingType

from services.settings import Settings
from services.settings_writer import WrittenSettings
from tui.setup.screen import SetupScreen, TargetFactory


class SetupApp(App[WrittenSettings]):
    """Returns what was written (App.return_value), or None when the person left first."""

    TITLE = "cco-unlink setup"
    CSS_PATH = Path(__file__).with_name("setup.tcss")
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+q", "quit", "Leave (writes nothing)", id="setup-quit", priority=True),
    ]

    def __init__(self, current: Settings, path: Path, make_target: TargetFactory) -> None:
        super().__init__()
        self._screen_args = (current, path, make_target)
        self._initial_theme = current.ui.theme
        self.animation_level = "none"

    def on_mount(self) -> None:
        if self._initial_theme in self.available_themes:
            self.theme = self._initial_theme

    def get_default_screen(self) -> SetupScreen:
        return SetupScreen(*self._screen_args)
