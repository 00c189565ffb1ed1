"""Procore's answers are read strictly where a wrong reading would mislead a person."""

from __future__ import annotations

import pytest

from services.errors import ProcoreReplyError
from services.models import AccessLevel
from services.procore import parsing


def _tools(level: object) -> dict[str, object]:
    return {
        "tools": [
            {
                "name": "erp_integrations",
                "friendly_name": "ERP Integrations",
                "user_access_level": level,
            }
        ]
    }


@pytest.mark.parametrize(
    ("level", "expected"),
    [
        ({"id": 4, "name": "Admin"}, AccessLevel.ADMIN),
        ({"id": 2, "name": "read_only"}, AccessLevel.READ_ONLY),
        ("Standard", AccessLevel.STANDARD),
        (None, AccessLevel.NONE),
    ],
)
def test_known_levels_are_read_by_name(level: object, expected: AccessLevel) -> None:
    levels = parsing.tool_levels(_tools(level))
    assert levels["erp_integrations"] == levels["erp integrations"] == expected


def test_an_unknown_level_is_an_unreadable_answer_not_a_missing_permission() -> None:
    with pytest.raises(ProcoreReplyError, match="'Superuser'"):
        parsing.tool_levels(_tools({"id": 9, "name": "Superuser"}))
