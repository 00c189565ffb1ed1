"""Keep compiled modules between test runs and processes even where writing bytecode is forbidden
(PYTHONDONTWRITEBYTECODE): in a folder of the temporary directory, never beside the sources.

Otherwise pytest and every `cco-unlink` the tests start compile Textual, httpx and the rest from
source: seconds of CPU a run. Loaded by `-p tests.bytecode_cache` (pyproject.toml's addopts),
before the plugins that import Textual, so pytest's own process is spared as well.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path


def _share_compiled_modules() -> None:
    if not sys.dont_write_bytecode or sys.pycache_prefix or os.environ.get("PYTHONPYCACHEPREFIX"):
        return
    prefix = str(Path(tempfile.gettempdir()) / f"cco-unlink-tests-pycache-{os.getuid()}")
    sys.pycache_prefix, sys.dont_write_bytecode = prefix, False
    os.environ["PYTHONPYCACHEPREFIX"] = prefix  # and the processes the tests start
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)


_share_compiled_modules()
