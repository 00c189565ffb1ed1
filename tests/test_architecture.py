"""The layering the project promises, checked: services/ never loads a UI toolkit, tui/ speaks no
HTTP or XML itself, and sandbox/ and connector/ share no code with the client or each other."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT


def _imports(folder: Path) -> set[tuple[str, str]]:
    found = set()
    for path in folder.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Import):
                found |= {(str(path), alias.name) for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found.add((str(path), node.module))
    return found


def _offending(folder: Path, forbidden: tuple[str, ...]) -> list[str]:
    return sorted(
        f"{path}: {module}"
        for path, module in _imports(folder)
        if module.split(".")[0] in forbidden
    )


def _loaded_after(imports: str, packages: tuple[str, ...]) -> list[str]:
    """The modules of `packages` a fresh interpreter holds after running `imports`."""
    code = (
        f"import sys\n{imports}\n"
        f"print(','.join(sorted(n for n in sys.modules if n.split('.')[0] in {packages!r}\n"
        "                        and sys.modules[n] is not None)))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO_ROOT, check=True
    )
    return [name for name in result.stdout.strip().split(",") if name]


def test_importing_services_pulls_in_no_ui_module() -> None:
    every_services_module = (
        "import pkgutil, importlib, services\n"
        "for m in pkgutil.walk_packages(services.__path__, 'services.'):\n"
        "    importlib.import_module(m.name)"
    )
    assert _loaded_after(every_services_module, ("textual", "rich", "tui")) == []


def test_the_app_starts_without_the_http_stack_or_the_sandbox_server() -> None:
    # A restart paints its cached list before these load (see Backend.open): they cost about a
    # tenth of a second each, and the sandbox runs in a child process of its own.
    heavy = ("httpx", "httpcore", "anyio", "uvicorn", "starlette")
    assert _loaded_after("import cco_unlink.cli, tui.app", heavy) == []


def test_the_app_starts_without_what_only_later_screens_use() -> None:
    # Loaded when an unlink of many ends or its summary is asked for, not before the list.
    later = ("tui.screens.batch_summary", "textual.widgets._data_table")
    loaded = _loaded_after(
        "import cco_unlink.cli, tui.app, tui.screens.change_orders", ("tui", "textual")
    )
    assert "tui.screens.change_orders" in loaded  # what the list is made of is seen
    assert [name for name in loaded if name in later] == []


def test_a_first_start_paints_before_the_list_code_loads() -> None:
    # StartingScreen's first frame comes before the table, the list's actions and dialogs, and
    # before the services a Backend uses only once connected.
    list_code = (
        "tui.screens.change_orders",
        "tui.widgets.cco_table",
        "tui.screens.fix_actions",
        "services.audit",
        "services.cache",
        "services.catalog",
        "services.check",
        "services.cco_delete",
    )
    loaded = _loaded_after(
        "import cco_unlink.cli, tui.app, tui.screens.starting", ("tui", "services")
    )
    assert "tui.screens.starting" in loaded
    assert [name for name in loaded if name in list_code] == []


@pytest.mark.parametrize(
    ("package", "forbidden"),
    [
        ("services", ("textual", "rich", "tui", "sandbox", "cco_unlink", "connector")),
        ("tui", ("httpx", "xml", "lxml", "sandbox", "starlette", "uvicorn", "connector")),
        ("sandbox", ("services", "tui", "cco_unlink", "connector")),
        # The connector is the far side of the wire from services/ (cco-unlink's client) and
        # from the sandbox's simulated Web Connector: a protocol mistake must not hide in code
        # both sides share. cco_unlink/ wires it up; it knows none of them.
        ("connector", ("services", "tui", "sandbox", "cco_unlink", "textual", "httpx")),
    ],
)
def test_packages_keep_to_their_side(package: str, forbidden: tuple[str, ...]) -> None:
    assert _offending(REPO_ROOT / package, forbidden) == []


def test_the_import_check_would_catch_a_violation(tmp_path: Path) -> None:
    (tmp_path / "screen.py").write_text("import httpx\nfrom xml.etree import ElementTree\n")
    assert len(_offending(tmp_path, ("httpx", "xml"))) == 2


def test_listing_loads_nothing_of_unlinking_and_settling_without_an_audit_log() -> None:
    # What a first start loads on its way to its first rows: the list's screen and the network
    # side, with no audit log yet; the unlink and the reading back load when first needed.
    loaded = _loaded_after(
        "import tui.app, tui.screens.change_orders, services.backend as b\n"
        "b._load_the_wire(settling=False)\n"
        "import services.connections, services.procore.client",
        ("services",),
    )
    assert "services.connections" in loaded and "services.catalog" in loaded
    later = (
        "services.unlink",
        "services.audit",
        "services.settle",
        "services.cco_delete",
        "services.quickbooks.connector",
    )
    assert [name for name in loaded if name in later] == []
