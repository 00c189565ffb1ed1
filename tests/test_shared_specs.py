"""Checks against Intuit's published specs skip on a machine without them, and fail under CI."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests import conftest


@pytest.fixture
def specs_absent(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(conftest, "SPECS_DIR", tmp_path / "no-specs")


@pytest.mark.usefixtures("specs_absent")
@pytest.mark.parametrize("ci", ["true", "1"])
def test_under_ci_a_missing_spec_fails(ci: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", ci)
    with pytest.raises(pytest.fail.Exception, match=r"qbxmlops130\.xsd is missing"):
        conftest.shared_spec("qbxml/qbxmlops130.xsd")


@pytest.mark.usefixtures("specs_absent")
@pytest.mark.parametrize("ci", [None, "", "false"])
def test_elsewhere_a_missing_spec_skips_saying_why(
    ci: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    if ci is None:
        monkeypatch.delenv("CI", raising=False)
    else:
        monkeypatch.setenv("CI", ci)
    with pytest.raises(pytest.skip.Exception, match="shared specs are not beside this clone"):
        conftest.shared_spec("qbxml/qbxmlops130.xsd")


def test_the_specs_beside_this_clone_are_found() -> None:
    if not conftest.SPECS_DIR.is_dir():
        pytest.skip("no shared specs beside this clone")
    assert conftest.shared_spec("qbxml/qbxmlops130.xsd").is_file()
