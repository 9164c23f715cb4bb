"""What a pack needs besides a recording: the reference's module name, the task files, torch.

An assignment whose carried modules never import its reference (the PyTorch assignments,
whose checks judge properties, gradients, task outputs computed in the grader and trained
metrics against thresholds.json; beam_search, whose exact answers come from its own
exhaustive search) needs no recording of the reference, so the build grades nothing at
build time but the reference, with the full grader, for `verify_reference`. One that imports
it only inside a function (so the module need not be imported yet) gets it imported here,
then recorded as usual.

Task files (`Assignment.tasks`) are loaded by the sandbox by path: those of the assignment's
package travel with the pack (the pack's own assignment names them beside itself); those of
the engine (`graders/engine/torch_tasks.py`, the shared `task_torch_apply`) come with
dlgrade-engine, where the pack's assignment finds them as the original does. Any other task
file could not be found on a student's machine: the build stops with a PackError.

A pack of an assignment whose sandbox preloads torch depends on torch, within dlgrade's own
declared range, exactly as the Gradescope bundle installs torch only for such an assignment
(graders.gradescope.bundle); its README says to install PyTorch's CPU build first, as
scripts/setup.sh does, since a plain `torch` requirement can fetch a CUDA build of several GB.
A pack whose checks read the digits or the sample photos (scikit-learn's data files) depends
on dlgrade-engine's `datasets` extra.
"""

from __future__ import annotations

import importlib
import re
import sys
from pathlib import Path
from types import ModuleType

from graders.engine.assignment import Assignment
from graders.engine.checks import Report
from graders.tooling.student_pack.sources import PackError, PackSources

ENGINE = Path(__file__).resolve().parents[2] / "engine"  # graders/engine: dlgrade-engine carries it
TORCH_CPU_INDEX = "https://download.pytorch.org/whl/cpu"  # scripts/setup.sh's default
TORCH_FALLBACK_REQUIREMENT = "torch>=2.2"  # dlgrade's own, when its metadata cannot be read
# What reads scikit-learn's bundled data (dlgrade-engine's `datasets` extra): the digits and
# the sample photos of dlgrade.data, and the engine's `data` option, whose default is the digits.
SKLEARN_DATA = re.compile(r"\b(load_digits|load_sample_photos|load_sample_images|data_option)\b")


def reference_import_name(assignment: Assignment, package: str, folder: Path) -> str:
    """The module name of the reference, imported or not: below the assignment's package
    (`package`, in `folder`) if its file is there, else the dotted path its file has below the
    outermost folder of packages that holds it (`reference.torch.beam_search`); failing both,
    the name it was imported under (a loader's own)."""
    target = Path(assignment.reference).resolve()
    if target.is_relative_to(folder):
        return ".".join([package, *target.relative_to(folder).with_suffix("").parts])
    parts, parent = [target.stem], target.parent
    while (parent / "__init__.py").is_file():
        parts.insert(0, parent.name)
        parent = parent.parent
    derived = ".".join(parts)
    imported = [name for name, module in list(sys.modules.items())
                if getattr(module, "__file__", None) and Path(module.__file__).resolve() == target]
    return derived if derived in imported or not imported else imported[0]


def records_nothing(sources: PackSources) -> bool:
    """Whether the carried modules ask nothing of the reference or of a recorded module."""
    return not sources.imports_reference and not sources.recorded_modules


def imported_reference(assignment: Assignment, name: str) -> ModuleType:
    """The reference module, imported (the checks may import it only inside a function)."""
    try:
        module = importlib.import_module(name)
    except Exception as exc:  # anything its import raises: the pack cannot record it
        raise PackError(f"{assignment.id}: the reference module `{name}` cannot be imported here to record the "
                        f"checks' calls into it ({type(exc).__name__}: {exc})") from None
    file = getattr(module, "__file__", None)
    if not file or Path(file).resolve() != Path(assignment.reference).resolve():
        raise PackError(f"{assignment.id}: `{name}` is not its reference file {assignment.reference}; the pack "
                        "could not record the checks' calls into it")
    return module


def task_files(assignment: Assignment, folder: Path) -> list[str]:
    """The task files the pack carries, relative to the package folder; the engine's stay (the
    pack's assignment names them in the installed engine). PackError for any other."""
    carried = []
    for task in assignment.tasks:
        path = Path(task).resolve()
        if path.is_relative_to(folder):
            carried.append(path.relative_to(folder).as_posix())
        elif path.parent != ENGINE:
            raise PackError(f"{assignment.id}: its sandbox loads the task file {path}, which is neither in the "
                            "assignment's package nor dlgrade's engine: a student's self-check could not find it")
    return carried


def grade_reference(assignment: Assignment, secret: bytes) -> Report:
    """The full grader's visible verdicts on the reference, under the pack's secret."""
    from graders.engine.runner import grade

    return grade(str(assignment.reference), assignment, include_hidden=False, secret=secret)


def engine_requirement(sources: PackSources) -> str:
    """dlgrade-engine, with its `datasets` extra when a carried module reads scikit-learn's data."""
    from graders.tooling.student_pack.standin import ENGINE_REQUIREMENT

    if any(SKLEARN_DATA.search(text) for text in sources.files.values()):
        return f"{ENGINE_REQUIREMENT}[datasets]"
    return ENGINE_REQUIREMENT


def torch_requirement(assignment: Assignment) -> str | None:
    """`torch` with dlgrade's declared range when the assignment's sandbox preloads torch, else None."""
    if "torch" not in assignment.preload:
        return None
    from graders.tooling.engine_dist import EngineDistError, _pick, _requirement_ranges

    try:
        return _pick(_requirement_ranges(), ["torch"])[0]
    except EngineDistError:
        return TORCH_FALLBACK_REQUIREMENT


def torch_install_command(requirement: str) -> str:
    """PyTorch's CPU build, as scripts/setup.sh installs it on Linux."""
    return f'pip install "{requirement}" --index-url {TORCH_CPU_INDEX}'


def torch_readme(requirement: str) -> str:
    """The README's paragraph on installing torch before the pack."""
    return f'''This self-check runs your PyTorch code: install PyTorch first, as its CPU build (a plain
`pip install torch` on Linux fetches a CUDA build of several GB that the self-check does not
use). On Linux and Windows:

    {torch_install_command(requirement)}

On macOS the default index's build is the right one: `pip install "{requirement}"`. If your
Python already has a torch that meets `{requirement}`, skip this step.
'''
