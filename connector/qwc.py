"""The .qwc file a person adds to the QuickBooks Web Connector: it tells the Web Connector where
the service is, who signs in, how often to poll, and which application and company file it is."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass

QBTYPE = "QBFS"  # QuickBooks Financial Software, as against QBPOS (point of sale)


@dataclass(frozen=True)
class QwcFile:
    app_name: str
    app_url: str
    app_description: str
    app_support: str
    username: str
    owner_id: str
    file_id: str
    run_every_seconds: int
    app_id: str = ""

    def document(self) -> bytes:
        """The QBWCXML document, elements in the order the Web Connector's samples use."""
        root = ET.Element("QBWCXML")
        for tag, text in (
            ("AppName", self.app_name),
            ("AppID", self.app_id),
            ("AppURL", self.app_url),
            ("AppDescription", self.app_description),
            ("AppSupport", self.app_support),
            ("UserName", self.username),
            ("OwnerID", self.owner_id),
            ("FileID", self.file_id),
            ("QBType", QBTYPE),
        ):
            ET.SubElement(root, tag).text = text
        scheduler = ET.SubElement(root, "Scheduler")
        ET.SubElement(scheduler, "RunEveryNSeconds").text = str(self.run_every_seconds)
        # The connector changes purchase orders when asked to (`x`): not read-only.
        ET.SubElement(root, "IsReadOnly").text = "false"
        ET.indent(root)
        body = ET.tostring(root, encoding="unicode")
        return f'<?xml version="1.0" encoding="utf-8"?>\n{body}\n'.encode()
