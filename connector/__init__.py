"""The connector: the service on (or near) the QuickBooks machine that the QuickBooks Web Connector
polls over SOAP, and that cco-unlink asks over qbXML-over-HTTP.

It is the far side of the wire from the client in services/, as the sandbox is: it shares no code
with either, so a protocol mistake on one side cannot hide in code both sides use.
"""
