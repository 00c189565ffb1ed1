"""The sandbox as a child process: `python -m sandbox.child FD` serves on FD, a listening socket
its parent bound and handed down. The parent writes one JSON line on standard input:
{"config": <see SandboxConfig.from_plain>, "reset": <true to seed the data afresh first>}.
It serves until that input closes: when the parent is done with it, or dies without a word.
"""

from __future__ import annotations

import gc

if __name__ == "__main__":
    # The cycle collector is off while the server's modules load (as in cco_unlink/__main__):
    # its passes over the objects they make, which live as long as the process, cost about 5 ms
    # of the child's start, which a first start waits for. main() turns it on once serving.
    gc.disable()

import importlib.util
import json
import socket
import sys
from collections.abc import Sequence


def _uvicorn_without_its_command_line() -> None:
    """Load uvicorn's package as its __init__ would, less its command line: __init__ imports
    uvicorn.main for `uvicorn.run` and the `uvicorn` command (click, the reloaders: about 11 ms,
    a tenth of this process's start, while the app waits for the first answer). The server
    needs the two names it exports besides, Config and Server, which uvicorn's own modules
    import from the package. Only in this process, which serves and does nothing else; a
    uvicorn already loaded, or laid out otherwise, is left as it is."""
    if "uvicorn" in sys.modules:
        return
    spec = importlib.util.find_spec("uvicorn")
    if spec is None or spec.submodule_search_locations is None:
        return
    package = importlib.util.module_from_spec(spec)
    sys.modules["uvicorn"] = package
    from uvicorn.config import Config
    from uvicorn.server import Server

    vars(package).update(Config=Config, Server=Server)


_uvicorn_without_its_command_line()

from sandbox import demo  # noqa: E402  (after uvicorn's package is registered)
from sandbox.config import SandboxConfig  # noqa: E402
from sandbox.server import SandboxServer  # noqa: E402


def main(argv: Sequence[str]) -> int:
    listener = socket.socket(fileno=int(argv[0]))
    order = json.loads(sys.stdin.readline())
    config = SandboxConfig.from_plain(order["config"])
    if order["reset"]:
        demo.reset(config.data_file, config.seed)
    server = SandboxServer(config, listener=listener)
    server.start()
    gc.freeze()  # what start-up made stays: kept out of the collector's passes
    gc.enable()
    sys.stdin.read()
    # The parent closes this input once it is done with the sandbox, no request of its own in
    # flight: the process ends at once, not after uvicorn's wind-down (it looks for the order to
    # stop a tenth of a second at a time), which held the parent's exit up by 0.1-0.3 s. SQLite
    # keeps a write whole either way.
    server.stop(wait=False)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
