"""``python -m plugrad``: ``info`` (what is installed) and ``demo`` (the main job)."""

from __future__ import annotations

import argparse
import re
import sys


def plain(text: str) -> str:
    """RST inline markup as plain text, for ``--help``: ````x```` and ``:func:`x``` give ``x``.

    Example:
        >>> plain("``python -m plugrad``: see :func:`pg.info <plugrad.info>`")
        'python -m plugrad: see pg.info'
    """
    text = re.sub(r":[\w:]+:`([^`<]*?)\s*(?:<[^>]*>)?`", r"\1", text)
    return re.sub(r"``([^`]+)``", r"\1", text)


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``python -m plugrad`` and the ``plugrad`` command."""
    parser = argparse.ArgumentParser(prog="plugrad", description=plain(__doc__ or ""))
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser(
        "info", help="list components, plugins, backends, devices, plugin ops, BLAS threads"
    )
    demo = sub.add_parser(
        "demo", help="train LeNet on the bundled digits (or 'gpt': a char-GPT), save, reload"
    )
    demo.add_argument(
        "which", nargs="?", default="lenet", choices=["lenet", "gpt"], help="which demo"
    )
    demo.add_argument("--iters", type=int, default=None, help="gpt: training iterations")
    demo.add_argument("--epochs", type=int, default=None, help="training epochs")
    demo.add_argument("--device", default=None, help="backend name, e.g. cpu or cuda")
    demo.add_argument("--out", default=None, help="where to save the model")
    demo.add_argument("--check", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.command == "info":
        from ._info import info

        print(info())
        return 0
    from plugrad_backends import BackendError

    if args.which == "gpt":
        from ._demo_gpt import run_gpt_demo

        return run_gpt_demo(iters=args.iters, out=args.out, check=args.check)
    from ._demo import run_demo

    try:
        return run_demo(epochs=args.epochs, device=args.device, out=args.out, check=args.check)
    except BackendError as exc:  # e.g. --device cuda without the plugin or a GPU
        print(f"plugrad demo: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
