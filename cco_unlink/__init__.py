"""The `cco-unlink` command: wires settings, the embedded sandbox and the app together."""
