"""The ``minigrad`` command: ``minigrad fit-line`` (the main job) and ``minigrad bench``."""

from __future__ import annotations

import argparse
import sys

from . import bench, demo_line


def main(argv: list[str] | None = None) -> int:
    """Parse ``argv`` (the command line when None), run the subcommand; the exit status."""
    parser = argparse.ArgumentParser(
        prog="minigrad",
        description="minigrad: the five steps PyTorch takes behind the scenes, rebuilt and "
                    "compared with PyTorch.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    fit = commands.add_parser("fit-line", help="fit y = 2x + 1, showing the five steps",
                              description="Fit y = 2x + 1 with plain minigrad tensors, showing "
                                          "the five steps as they happen; compare with torch.")
    demo_line.add_arguments(fit)
    fit.set_defaults(run=demo_line.run)
    timing = commands.add_parser("bench", help="time minigrad against torch, workload by workload",
                                 description="Time minigrad and torch on the same workloads, "
                                             "interleaved in one process; report the ratio.")
    bench.add_arguments(timing)
    timing.set_defaults(run=bench.run)
    args = parser.parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
