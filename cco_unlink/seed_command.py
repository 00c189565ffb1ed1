"""`cco-unlink sandbox seed`: fill a sandbox data file with a big company, for load tests,
benchmarks and demos at scale, without writing Python.

The company is sandbox.bulk_seed's "Summit Ridge Builders": P projects of C CCOs each, a share S of
the projects synced with QuickBooks Desktop (they, their commitments and their CCOs carry an
origin_id; the others none), every date between the demo's first CCO and now, never after. The
file is wiped first. Without --data it is the embedded sandbox's own file, so a plain
`cco-unlink` then opens on this company.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

from services import locations
from services.errors import SettingsError
from services.settings import Settings

ACTION = "seed"


def add_action(sandbox_parser: argparse.ArgumentParser) -> None:
    actions = sandbox_parser.add_subparsers(dest="sandbox_action", metavar="ACTION")
    seed = actions.add_parser(
        ACTION,
        help="wipe the sandbox's data file and fill it with a big company",
        description=(
            "Wipe the sandbox's data file and fill it with a big company: P projects of C CCOs "
            "each, a share S of the projects synced with QuickBooks Desktop. The demo users "
            "sign in to it as to the demo data."
        ),
    )
    seed.add_argument("--projects", type=int, required=True, metavar="P", help="projects")
    seed.add_argument(
        "--ccos-per-project", type=int, required=True, metavar="C", help="CCOs in each project"
    )
    seed.add_argument(
        "--synced-share",
        type=_share,
        default=1.0,
        metavar="S",
        help=(
            "share of the projects synced with QuickBooks Desktop, from 0 to 1 or as a percent "
            "(0.3 or 30%%: 150 of 500 projects); only their CCOs are listed. Default: all"
        ),
    )
    seed.add_argument(
        "--data",
        metavar="FILE",
        # Not reset to None when absent: `sandbox --data FILE seed` names the file as well, and
        # wiping the embedded demo's file instead would lose the person's data.
        default=argparse.SUPPRESS,
        help="the data file to write (default: the embedded sandbox's, as in the settings)",
    )
    seed.add_argument("--seed", type=int, default=1, help="random seed (default 1)")


def _share(text: str) -> float:
    try:
        share = float(text[:-1]) / 100 if text.endswith("%") else float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a share: {text!r} (0.3 or 30%)") from None
    if not 0.0 <= share <= 1.0:
        raise argparse.ArgumentTypeError(f"a share is from 0 to 1 (0 % to 100 %), not {text}")
    return share


def wanted(arguments: argparse.Namespace) -> bool:
    return getattr(arguments, "sandbox_action", None) == ACTION


def run(settings: Settings, arguments: argparse.Namespace, out: Any = None) -> int:
    from sandbox import bulk_seed  # the sandbox's code, loaded only for this command

    if arguments.projects < 1 or arguments.ccos_per_project < 0:
        raise SettingsError(
            "--projects must be 1 or more and --ccos-per-project 0 or more, not "
            f"{arguments.projects} and {arguments.ccos_per_project}."
        )
    data = (
        Path(arguments.data).expanduser()
        if getattr(arguments, "data", None)
        else locations.sandbox_data_file(settings.sandbox.data_file)
    )
    data.parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    bulk_seed.reset_bulk(
        data,
        projects=arguments.projects,
        ccos_per_project=arguments.ccos_per_project,
        synced_share=arguments.synced_share,
        seed=arguments.seed,
    )
    synced = sum(bulk_seed.is_synced(n, arguments.synced_share) for n in range(arguments.projects))
    print(
        f"Seeded {data}: {arguments.projects:,} projects ({synced:,} synced with QuickBooks "
        f"Desktop) of {arguments.ccos_per_project:,} CCOs each, "
        f"{synced * arguments.ccos_per_project:,} synced CCOs, "
        f"in {time.perf_counter() - started:.1f} s.",
        file=out,
    )
    return 0
