"""Talk to QuickBooks Desktop in qbXML, through an HTTP connector on the QuickBooks machine."""

from services.quickbooks.connector import QuickBooksConnector

__all__ = ["QuickBooksConnector"]
