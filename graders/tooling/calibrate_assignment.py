"""Calibrating one assignment's trained checks: what `dlgrade calibrate ID` runs.

The assignment is found through the course catalog (`graders.courses.catalog`: the bundled
course, installed courses, `--course DIR`). An assignment with trained checks declares them in
its thresholds.py (`TRAINED_CHECKS`, each a `graders.engine.trained_checks.TrainedCheck`), and
either has no calibrate.py, and is calibrated by grading its reference with its own trained
checks (`graders.tooling.graded_calibration`), or says how to measure the reference in its
calibrate.py:

    calibrate(checks, dataset_spec=None, n_draws=None, verbose=True) -> {check key: Threshold}

(dataset_spec None: the data set each check declares first; n_draws None: the assignment's
own number of course-secret draws; each Threshold names its data set), and optionally

    report_mutants(table, names)    # --mutants: how its known slips fare against the bounds

(a calibrate that takes `write_to` also writes data files of its own into that folder, when
the bounds are written: the reference's runs drawn in the feedback, say).

This module picks the declarations (all, or those of --checks; with --set KEY=VALUE changes of
their settings, for a quick trial), runs that function, prints the table and, with --write,
puts the bounds into the thresholds.json of the assignment's folder (or the file of --out).
"""

from __future__ import annotations

import argparse
import json
from dataclasses import replace
from inspect import signature
from pathlib import Path

from graders.courses import catalog
from graders.engine.trained_checks import N_DRAWS, THRESHOLDS_FILE, TrainedCheck


def add_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """The options of a calibration (the assignment id is the caller's)."""
    parser.add_argument("--dataset", metavar="SPEC",
                        help='the data set, for the assignments that take one: "digits" or "mnist:PATH" (default: '
                             "the data set each check declares first)")
    parser.add_argument("--runs", type=int, metavar="N",
                        help=f"course-secret draws to calibrate over (at least 5; default: the assignment's own, "
                             f"{N_DRAWS} for most); the harmless variations come on top")
    parser.add_argument("--checks", nargs="+", metavar="KEY", help="only these trained checks (their keys)")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", dest="overrides",
                        help="change a training setting for this run (a quick trial; its bounds do not fit "
                             "the declared settings, so write them with --out)")
    parser.add_argument("--write", action="store_true", help="write the bounds into the assignment's thresholds.json")
    parser.add_argument("--out", type=Path, metavar="FILE", help="write the bounds to FILE instead (implies --write)")
    parser.add_argument("--mutants", nargs="*", metavar="NAME",
                        help="also report how the known slips (all, or those named) fare against the new bounds")
    return parser


def calibrate_module(assignment_id: str, found=None):
    """The assignment's calibrate.py (the measurement of its reference), or None when it has none;
    `found`: the catalog (default: the bundled course's)."""
    found = found or catalog()
    if not (found.folder(assignment_id) / "calibrate.py").is_file():
        return None
    return found.owner(assignment_id).import_module(f"{assignment_id}.calibrate")


def declarations(assignment_id: str, found=None) -> dict[str, TrainedCheck]:
    """{key: TrainedCheck} of the assignment's thresholds.py; ValueError when it has none."""
    found = found or catalog()
    module = None
    if (found.folder(assignment_id) / "thresholds.py").is_file():
        module = found.owner(assignment_id).import_module(f"{assignment_id}.thresholds")
    checks = getattr(module, "TRAINED_CHECKS", ())
    if not checks:
        raise ValueError(f"{assignment_id} declares no trained checks (TRAINED_CHECKS in its thresholds.py)")
    return {c.key: c for c in checks}


def parse_override(text: str) -> tuple[str, object]:
    """"epochs=2" -> ("epochs", 2): the value read as JSON, else kept as text."""
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise ValueError(f"--set takes KEY=VALUE, not {text!r}")
    try:
        return key.strip(), json.loads(value)
    except ValueError:
        return key.strip(), value


def chosen(checks: dict[str, TrainedCheck], keys, overrides, dataset: str | None) -> list[TrainedCheck]:
    """The declarations of `keys` (all when None), each with `overrides` ["KEY=VALUE"] applied to
    the settings (of every data set) that have that key; a key that no chosen check's settings of
    `dataset` (or of the data set it declares first) have is an error."""
    unknown = sorted(set(keys or ()) - set(checks))
    if unknown:
        raise ValueError(f"unknown trained checks {unknown}; the keys are {sorted(checks)}")
    picked = [checks[k] for k in (keys or checks)]
    missing = [c.key for c in picked if dataset is not None and c.settings_for(dataset) is None]
    if missing:
        raise ValueError(f"no settings of {missing} for the data set {dataset!r}")
    changes = dict(parse_override(o) for o in overrides)
    known = {key for c in picked for key in c.settings_for(dataset or next(iter(c.settings)))}
    for key in changes:
        if key not in known:
            raise ValueError(f"no chosen check has a setting {key!r} (they have {', '.join(sorted(known))})")
    return [replace(check, settings={name: {**s, **{k: v for k, v in changes.items() if k in s}}
                                     for name, s in check.settings.items()}) for check in picked]


def run(assignment_id: str, args: argparse.Namespace, *, verbose: bool = True, found=None) -> int:
    """Calibrate, print the table, write it when asked; the exit status. `found`: the catalog
    the assignment is in (default: the bundled course's)."""
    found = found or catalog()
    dataset = args.dataset.split(":", 1)[0] if args.dataset else None
    checks = chosen(declarations(assignment_id, found), args.checks, args.overrides, dataset)
    if args.overrides and args.write and not args.out:
        raise ValueError("bounds calibrated with --set do not fit the declared settings: write them with --out FILE")
    if args.runs is not None and args.runs < 5:
        raise ValueError("calibrate over at least 5 course-secret draws (--runs 5 or more)")
    from graders.engine.thresholds import format_table
    from graders.tooling.calibration import write_calibrations

    module = calibrate_module(assignment_id, found)
    if args.mutants is not None and not hasattr(module, "report_mutants"):
        raise ValueError(f"the calibration of {assignment_id} reports no mutants"
                         + ("" if module else " (it has no calibrate.py; `dlgrade verify` grades its slips)"))
    writing = bool(args.write or args.out)
    path = args.out or found.folder(assignment_id) / THRESHOLDS_FILE
    if module is None:
        from graders.tooling import graded_calibration

        table = graded_calibration.calibrate(found.get(assignment_id), found.slips(assignment_id), checks,
                                             args.dataset, args.runs, verbose)
    else:
        takes_folder = "write_to" in signature(module.calibrate).parameters
        extra = {"write_to": path.parent if writing else None} if takes_folder else {}
        table = module.calibrate(checks, args.dataset, args.runs, verbose, **extra)
    print()
    print(format_table(table))
    if writing:
        write_calibrations(path, table)
        print(f"\nwrote the bounds of {', '.join(f'{k} ({t.dataset})' for k, t in table.items())} to {path}")
    if args.mutants is not None:
        print()
        module.report_mutants(table, args.mutants or None)
    return 0


def main(assignment_id: str, argv=None) -> int:
    """`python -m graders.assignments.<id>.calibrate [options]`: the same as `dlgrade calibrate ID`."""
    parser = add_arguments(argparse.ArgumentParser(description=f"Calibrate the trained checks of {assignment_id}."))
    return run(assignment_id, parser.parse_args(argv))
