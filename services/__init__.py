"""The headless core of cco-unlink: settings, the Procore and QuickBooks clients, the unlink
workflow and the audit log. Nothing here imports a UI toolkit: scripts and tests drive it with no
terminal."""
