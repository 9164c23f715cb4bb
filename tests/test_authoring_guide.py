"""docs/authoring.md: its tutorial's commands run, in order, in a fresh folder, and every
`dlgrade` command the guide shows is one the command line knows; README.md links the guide."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from dlgrade.cli import build_parser, main

REPO = Path(__file__).resolve().parents[1]
GUIDE = REPO / "docs" / "authoring.md"


def bash_commands(text: str) -> list[str]:
    """The lines of the ```bash blocks of `text`."""
    blocks = re.findall(r"```bash\n(.*?)```", text, flags=re.S)
    return [line.strip() for block in blocks for line in block.splitlines() if line.strip()]


def tutorial() -> str:
    text = GUIDE.read_text(encoding="utf-8")
    return text.split("## Tutorial", 1)[1].split("### The example course", 1)[0]


def test_the_example_courses_grade_and_build_commands_run(monkeypatch, capsys):
    monkeypatch.chdir(REPO)
    shown = bash_commands(EXAMPLE_README.read_text(encoding="utf-8"))
    commands = [c for c in shown if c.split()[1] in ("grade", "build")]
    assert len(commands) == 2
    for command in commands:
        assert main(shlex.split(command)[1:]) == 0, command
    assert "Score: 18 / 18" in capsys.readouterr().out


def test_readme_links_the_guide():
    assert "docs/authoring.md" in (REPO / "README.md").read_text(encoding="utf-8")


def test_the_tutorial_runs_from_new_to_a_gradescope_bundle(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DLGRADE_COURSE", raising=False)
    commands = bash_commands(tutorial())
    assert [shlex.split(c)[1] for c in commands] == ["new", "list", "grade", "verify", "build", "gradescope-bundle"]
    for command in commands:
        assert main(shlex.split(command)[1:]) == 0, (command, capsys.readouterr())
    out = capsys.readouterr().out
    assert "Score: 3 / 3" in out and "verify affine_layer: OK" in out
    assert (tmp_path / "mycourse" / "notebooks" / "affine_layer.ipynb").is_file()
    assert (tmp_path / "affine_layer_autograder.zip").is_file()


EXAMPLE_README = REPO / "examples" / "batchnorm_course" / "README.md"
SHOWN = bash_commands(GUIDE.read_text(encoding="utf-8")) + bash_commands(EXAMPLE_README.read_text(encoding="utf-8"))


@pytest.mark.parametrize("command", SHOWN)
def test_every_command_the_guide_and_the_example_show_parses(command):
    words = shlex.split(command)
    assert words[0] == "dlgrade"
    build_parser().parse_args(words[1:])


@pytest.mark.slow  # about a minute: 100 automatic mutants graded
def test_the_example_course_command_of_the_guide_passes(monkeypatch):
    monkeypatch.chdir(REPO)
    command = [c for c in bash_commands(GUIDE.read_text(encoding="utf-8")) if "batchnorm_dropout" in c]
    assert command and main(shlex.split(command[0])[1:] + ["--min-kill-rate", "0.9"]) == 0


SCALE_REFERENCE = '''"""# Scaling"""

import numpy as np


def scale(x, factor):
    """x * factor."""
    ### BEGIN SOLUTION
    return x * factor
    ### END SOLUTION


def scale_backward(dout, x, factor):
    """The gradient of sum(dout * scale(x, factor)) with respect to x."""
    ### BEGIN SOLUTION
    return dout * factor
    ### END SOLUTION
'''

SCALE_INIT = '''from pathlib import Path

from graders.authoring import Assignment

from .checks import yield_checks

ASSIGNMENT = Assignment(id="scaling_guide", title="Scaling", contract=("scale", "scale_backward"),
                        checks=yield_checks, reference=Path(__file__).resolve().parent / "reference.py")
'''


def python_blocks(text: str) -> list[str]:
    return re.findall(r"```python\n(.*?)```", text, flags=re.S)


def test_the_tutorials_check_and_slip_examples_grade_and_verify(tmp_path, capsys):
    """The guide's checks.py and slips.py examples, with a reference of `scale`, make an
    assignment whose grader `dlgrade verify` proves."""
    checks, slips = python_blocks(tutorial())
    folder = tmp_path / "guide_course" / "scaling_guide"
    folder.mkdir(parents=True)
    files = {"assignment.toml": 'id = "scaling_guide"\ntitle = "Scaling"\npreload = ["numpy"]\n',
             "__init__.py": SCALE_INIT, "reference.py": SCALE_REFERENCE, "checks.py": checks, "slips.py": slips}
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    assert main(["verify", "scaling_guide", "--course", str(folder.parent)]) == 0, capsys.readouterr().out


def test_the_guides_torch_task_file_trains_in_a_sandbox_and_the_shared_apply_evaluates_its_state(tmp_path):
    """The guide's PyTorch task file, written outside dlgrade's tree (as in a course folder),
    finds the engine's shared helpers, trains the submission's Net, and the shared
    `task_torch_apply` evaluates the returned state: the numbers the grader computes itself."""
    import numpy as np
    import torch

    from graders.authoring import TORCH_TASKS, Limits
    from graders.sandbox.process import Sandbox

    section = GUIDE.read_text(encoding="utf-8").split("### A PyTorch task file", 1)[1].split("\n## ", 1)[0]
    (task_file,) = python_blocks(section)
    (tmp_path / "tasks.py").write_text(task_file, encoding="utf-8")
    net = "import torch\nclass Net(torch.nn.Module):\n    def __init__(self):\n        super().__init__()\n" \
          "        self.fc = torch.nn.Linear(2, 1)\n    def forward(self, x):\n        return self.fc(x)\n"
    x = np.array([[0.0, 1.0], [1.0, 0.0], [1.0, 1.0], [2.0, -1.0]])
    y = x @ np.array([[1.0], [-2.0]]) + 0.5
    limits = Limits(cpu_s=120, memory_mb=8192, startup_s=120)
    with Sandbox([("net", net)], preload=("numpy", "torch"), tasks=[TORCH_TASKS, tmp_path / "tasks.py"],
                 limits=limits) as sandbox:
        sandbox.start()
        state = sandbox.task("train_briefly", x=x, y=y, steps=5, seed=3)
        (out,) = sandbox.task("torch_apply", class_name="Net", state=state, method="forward", inputs=[x])
        initial = sandbox.task("train_briefly", x=x, y=y, steps=0, seed=3)
        (untrained,) = sandbox.task("torch_apply", class_name="Net", state=initial, method="forward", inputs=[x])
    assert sorted(state) == ["fc.bias", "fc.weight"]
    weight, bias = np.asarray(state["fc.weight"], dtype=np.float64), np.asarray(state["fc.bias"], dtype=np.float64)
    expected = (torch.tensor(x, dtype=torch.float32) @ torch.tensor(weight, dtype=torch.float32).T
                + torch.tensor(bias, dtype=torch.float32)).double().numpy()
    np.testing.assert_allclose(out, expected, rtol=1e-6, atol=1e-6)
    assert float(np.mean((out - y) ** 2)) < float(np.mean((untrained - y) ** 2))  # it did train
