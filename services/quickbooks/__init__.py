"""Talk to QuickBooks Desktop in qbXML, through an HTTP connector on the QuickBooks machine."""
