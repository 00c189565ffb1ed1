"""Wire formats of values: Procore's and QuickBooks' ways of writing money and time."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation


def money(cents: int) -> str:
    """Cents as a two-place decimal string, the way both Procore and qbXML AMTTYPE write it."""
    sign = "-" if cents < 0 else ""
    whole, frac = divmod(abs(cents), 100)
    return f"{sign}{whole}.{frac:02d}"


def parse_money(text: str) -> int:
    """A decimal string to cents, rounding half up; raises ValueError when it is not a number."""
    try:
        value = Decimal(text.strip())
    except InvalidOperation as exc:
        raise ValueError(f"not a decimal: {text!r}") from exc
    if not value.is_finite():
        raise ValueError(f"not a decimal: {text!r}")
    return int((value * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def procore_time(epoch: int) -> str:
    """ISO-8601 UTC with a Z, as Procore writes times."""
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def qb_time(epoch: int) -> str:
    """qbXML DATETIMETYPE: its pattern allows a numeric offset but not 'Z'."""
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")


def qb_date(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%d")


def epoch_of(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> int:
    return int(datetime(year, month, day, hour, minute, tzinfo=UTC).timestamp())
