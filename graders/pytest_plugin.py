"""Instructors' pytest: the checks of an assignment as pytest tests, against any submission.

    pytest --dlgrade-submission work/alice.ipynb --dlgrade-assignment numpy_basics

runs one test per check (`graders/pytest_checks.py::test_check[<check name>]`); a failing
check fails its test with the check's feedback as the message, and the summary shows the
score. The plugin is registered by dlgrade's `pytest11` entry point (or load it with
`-p graders.pytest_plugin`). Options:

    --dlgrade-submission PATH   the .py file or .ipynb notebook to grade
    --dlgrade-assignment ID     the assignment (default: read from the notebook's metadata)
    --dlgrade-course DIR        a course folder the assignment comes from (default: DLGRADE_COURSE)
    --dlgrade-visible-only      only the checks students can see
    --dlgrade-data DATA         data set for trained checks (digits, mnist:PATH)
    --dlgrade-check NAME        only this check (repeat for more; -k cannot match names with colons)

With no positional arguments only the checks run; with some, the checks run beside them.
Your own tests can take the fixture `dlgrade_check` (a `TestResult`, one per check) or
`dlgrade_report` (the whole `Report`). The submission is graded once per session, with only
the checks selected (-k works), in the usual sandbox.
"""

from __future__ import annotations

from pathlib import Path

import pytest

CHECKS_MODULE = Path(__file__).with_name("pytest_checks.py")
_SETTINGS = pytest.StashKey[dict]()
_REPORT = pytest.StashKey[object]()


def pytest_addoption(parser):
    group = parser.getgroup("dlgrade", "dlgrade: grade a submission with an assignment's checks")
    group.addoption("--dlgrade-submission", metavar="PATH", help="the .py or .ipynb submission to grade")
    group.addoption("--dlgrade-assignment", metavar="ID", help="assignment id (default: from the notebook)")
    group.addoption("--dlgrade-course", metavar="DIR",
                    help="a course folder of assignments and overrides (default: DLGRADE_COURSE)")
    group.addoption("--dlgrade-visible-only", action="store_true", help="only the checks students can see")
    group.addoption("--dlgrade-data", metavar="DATA", help="data set for trained checks, e.g. digits")
    group.addoption("--dlgrade-option", metavar="NAME=VALUE", action="append", default=[],
                    help="an option the assignment declares, e.g. all_configs=true (repeatable)")
    group.addoption("--dlgrade-check", metavar="NAME", action="append", default=[],
                    help="only this check, by its exact name (repeatable)")


def _settings(config) -> dict | None:
    """The submission, assignment and options; None when no submission was given."""
    if _SETTINGS in config.stash:
        return config.stash[_SETTINGS]
    path = config.getoption("dlgrade_submission")
    settings = None
    if path:
        from graders.courses import CourseError, catalog, course_from_environment
        from graders.engine.source import read_submission

        path = Path(path).expanduser().resolve()
        if not path.is_file():
            raise pytest.UsageError(f"--dlgrade-submission {path}: no such file")
        source = read_submission(path)  # read once: for its assignment id here and for the grade
        aid = config.getoption("dlgrade_assignment") or source.assignment
        if not aid:
            raise pytest.UsageError("cannot tell which assignment this is; pass --dlgrade-assignment ID")
        try:
            found = catalog(course_from_environment(config.getoption("dlgrade_course")))
            assignment = found.get(aid)
        except CourseError as exc:
            raise pytest.UsageError(str(exc)) from None
        except KeyError:
            raise pytest.UsageError(f"unknown assignment {aid!r}; known: {', '.join(found.ids())}") from None
        options = {"data": config.getoption("dlgrade_data")} if config.getoption("dlgrade_data") else {}
        try:
            options.update(assignment.parse_options(config.getoption("dlgrade_option") or []))
        except ValueError as exc:
            raise pytest.UsageError(str(exc).replace("--option", "--dlgrade-option", 1)) from None
        settings = {"path": path, "source": source, "assignment": assignment, "options": options,
                    "visible_only": bool(config.getoption("dlgrade_visible_only")),
                    "only": list(config.getoption("dlgrade_check") or [])}
        known = {c.name for c in assignment.all_checks(options)}
        unknown = [n for n in settings["only"] if n not in known]
        if unknown:
            raise pytest.UsageError(f"--dlgrade-check: {aid} has no check named {unknown[0]!r}")
    config.stash[_SETTINGS] = settings
    return settings


def pytest_configure(config):
    if not config.getoption("dlgrade_submission"):
        return
    _settings(config)  # a usage error now, not in the middle of collection
    module = str(CHECKS_MODULE)
    if config.args_source != pytest.Config.ArgsSource.ARGS:
        config.args[:] = [module]  # only the checks, not the project's own test paths
    elif not any(Path(a.split("::")[0]).resolve() == CHECKS_MODULE for a in config.args if not a.startswith("-")):
        config.args.append(module)


def pytest_report_header(config):
    settings = _settings(config)
    if settings:
        return [f"dlgrade: {settings['assignment'].id}: {settings['path']}"
                + (" (visible checks only)" if settings["visible_only"] else "")]
    return None


def _check_names(settings: dict) -> list[str]:
    from graders.engine.checks import Visibility

    checks = settings["assignment"].all_checks(settings["options"])
    return [c.name for c in checks if (not settings["visible_only"] or c.visibility is Visibility.VISIBLE)
            and (not settings["only"] or c.name in settings["only"])]


def pytest_generate_tests(metafunc):
    if "dlgrade_check" not in metafunc.fixturenames:
        return
    settings = _settings(metafunc.config)
    if settings is None:
        metafunc.parametrize("dlgrade_check", [pytest.param(None, marks=pytest.mark.skip(
            reason="no submission to grade: pass --dlgrade-submission PATH"))], indirect=True, ids=["no submission"])
        return
    names = _check_names(settings)
    metafunc.parametrize("dlgrade_check", names, indirect=True, ids=names)


@pytest.fixture(scope="session")
def dlgrade_report(request):
    """The Report of the submission, graded once, with the checks this session selected."""
    from graders.engine.runner import grade
    from graders.sandbox.environment import isolation_from_environment

    settings = _settings(request.config)
    if settings is None:
        pytest.skip("no submission to grade: pass --dlgrade-submission PATH")
    wanted = {item.callspec.params["dlgrade_check"] for item in request.session.items
              if hasattr(item, "callspec") and "dlgrade_check" in item.callspec.params}
    select = wanted.__contains__ if wanted else None
    report = grade(str(settings["path"]), settings["assignment"], options=settings["options"],
                   include_hidden=not settings["visible_only"], select=select,
                   isolation=isolation_from_environment(), source=settings["source"])
    request.config.stash[_REPORT] = report
    return report


@pytest.fixture
def dlgrade_check(request, dlgrade_report):
    """The TestResult of one check (the test is parametrized over the assignment's checks)."""
    found = {t.name: t for t in dlgrade_report.tests}
    if request.param not in found:
        pytest.fail(f"the check {request.param!r} was not run", pytrace=False)
    return found[request.param]


def assert_check_passed(result) -> None:
    """Fail the current test with the check's feedback unless the check passed."""
    if not result.passed:
        pytest.fail(result.output or f"{result.name}: failed", pytrace=False)


def pytest_terminal_summary(terminalreporter, config):
    report = config.stash.get(_REPORT, None)
    if report is not None:
        passed = sum(1 for t in report.tests if t.passed)
        terminalreporter.write_sep("=", f"dlgrade: {report.assignment}: score {report.score:g} / "
                                        f"{report.max_score:g} ({passed} of {len(report.tests)} checks passed)")
        for message in report.load_messages:
            terminalreporter.write_line(f"note: {message.splitlines()[0] if message else ''}")
