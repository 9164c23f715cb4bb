"""`dlgrade engine-dist [--out DIR]`: build the `dlgrade-engine` wheel (the engine without a
course; graders/tooling/engine_dist.py) into DIR."""

from __future__ import annotations

import sys


def add_parser(sub) -> None:
    p = sub.add_parser("engine-dist", help="build the dlgrade-engine wheel: the engine, sandbox and self-check "
                                           "without any course (for students and courses kept elsewhere)")
    p.add_argument("--out", "-o", default="dist", help="the folder the wheel goes into (default: dist)")


def run(args) -> int:
    from graders.tooling.engine_dist import EngineDistError, build_engine_dist

    try:
        wheel = build_engine_dist(args.out)
    except EngineDistError as exc:
        print(f"dlgrade: error: {exc}", file=sys.stderr)
        return 1
    print(f"wrote {wheel}: pip install it, then point it at a course folder (--course DIR or DLGRADE_COURSE)")
    return 0
