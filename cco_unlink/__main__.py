"""`python -m cco_unlink` and the `cco-unlink` command.

The cycle collector is off while the program's modules load: loading makes hundreds of classes
and tens of thousands of objects that live as long as the process, and the collector's passes over
them (over a hundred, 20-30 ms of CPU in all) came before the app's first frame. cli.main turns
it back on once what start-up made is loaded: for a command at once, for the app once it is frozen
out of the collector's passes, just before the app runs (cli._run_app).
"""

import gc
import sys


def main() -> int:
    gc.disable()
    from cco_unlink.cli import main as run

    return run()


if __name__ == "__main__":
    sys.exit(main())
