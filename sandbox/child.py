"""The sandbox as a child process: `python -m sandbox.child FD` serves on FD, a listening socket
its parent bound and handed down. The parent writes one JSON line on standard input:
{"config": <see SandboxConfig.from_plain>, "reset": <true to seed the data afresh first>}.
It serves until that input closes: when the parent is done with it, or dies without a word.
"""

from __future__ import annotations

import json
import socket
import sys
from collections.abc import Sequence

from sandbox import demo
from sandbox.config import SandboxConfig
from sandbox.server import SandboxServer


def main(argv: Sequence[str]) -> int:
    listener = socket.socket(fileno=int(argv[0]))
    order = json.loads(sys.stdin.readline())
    config = SandboxConfig.from_plain(order["config"])
    if order["reset"]:
        demo.reset(config.data_file, config.seed)
    server = SandboxServer(config, listener=listener)
    server.start()
    sys.stdin.read()
    # The parent closes this input once it is done with the sandbox, no request of its own in
    # flight: the process ends at once, not after uvicorn's wind-down (it looks for the order to
    # stop a tenth of a second at a time), which held the parent's exit up by 0.1-0.3 s. SQLite
    # keeps a write whole either way.
    server.stop(wait=False)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
