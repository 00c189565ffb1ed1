"""What one connector needs to run: plain values, built by the command line from the settings."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from connector.credentials import Credentials

DEFAULT_QBXML_VERSION = "13.0"
SOAP_PATH = "/qbwc"
QBXML_PATH = "/quickbooks/qbxml"
SUPPORT_PATH = "/support"


@dataclass(frozen=True)
class ConnectorConfig:
    credentials: Credentials = field(repr=False)
    username: str = "cco-unlink"
    """The user name the Web Connector sends (the .qwc file's UserName)."""
    journal_path: Path = Path("connector-journal.jsonl")
    """Every request handed to QuickBooks and what became of it, one JSON line each."""
    poll_wait_seconds: float = 20.0
    """How long a request waits for the Web Connector to take it before 504."""
    answer_wait_seconds: float = 30.0
    """How long a request handed to QuickBooks waits for its answer before 504 (unknown)."""
    company_file: str = ""
    """The company file QuickBooks must have open; "" = whichever is open."""
    qbxml_version: str = DEFAULT_QBXML_VERSION
    """The highest qbXML version sent; lowered to what QuickBooks reports."""
