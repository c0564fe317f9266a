"""The ``minigrad`` command: ``minigrad five-steps`` (the main job, the default), ``minigrad
fit-line`` and ``minigrad bench``."""

from __future__ import annotations

import argparse
import sys

from . import bench, demo_line, five_steps

DEFAULT_COMMAND = "five-steps"


def main(argv: list[str] | None = None) -> int:
    """Parse ``argv`` (the command line when None), run the subcommand; the exit status.

    Without a subcommand (``minigrad``, ``minigrad --epochs 3``) it runs ``five-steps``.
    """
    parser = argparse.ArgumentParser(
        prog="minigrad",
        description="minigrad: the five steps PyTorch takes behind the scenes, rebuilt and "
                    f"compared with PyTorch. Without a COMMAND, runs {DEFAULT_COMMAND}.")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    steps = commands.add_parser(
        "five-steps", help="train an MLP on the digits with minigrad and torch side by side",
        description="Train an MLP on the 8×8 digits with minigrad and torch side by side, from "
                    "identical weights and batches, showing the five steps of the first batch; "
                    "write the loss curves, the graph of one step and a checkpoint.")
    five_steps.add_arguments(steps)
    steps.set_defaults(run=five_steps.run)
    fit = commands.add_parser("fit-line", help="fit y = 2x + 1, showing the five steps",
                              description="Fit y = 2x + 1 with plain minigrad tensors, showing "
                                          "the five steps as they happen; compare with torch.")
    demo_line.add_arguments(fit)
    fit.set_defaults(run=demo_line.run)
    timing = commands.add_parser("bench", help="time minigrad against torch, workload by workload",
                                 description="Time torch and each minigrad backend on the same "
                                             "workloads, interleaved in one process; report the "
                                             "ratios to torch and to the numpy backend.")
    bench.add_arguments(timing)
    timing.set_defaults(run=bench.run)
    argv = sys.argv[1:] if argv is None else list(argv)
    if not argv or (argv[0].startswith("-") and argv[0] not in ("-h", "--help")):
        argv = [DEFAULT_COMMAND, *argv]
    args = parser.parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
