"""source: reading a .py or .ipynb submission into cells, never raising, never executing."""

from __future__ import annotations

import json

import nbformat
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graders.engine import source
from graders.engine.source import read_submission, strip_ipython

# broken notebooks without cell ids are the point of several tests here
pytestmark = pytest.mark.filterwarnings("ignore::nbformat.warnings.MissingIDFieldWarning")

FUZZ = settings(max_examples=60, derandomize=True, database=None, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture])


def _notebook(*cells, metadata=None) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.metadata = metadata or {}
    nb.cells = list(cells)
    return nb


def _write_nb(path, nb):
    path.write_text(nbformat.writes(nb), encoding="utf-8")
    return path


def _code(src, tags=None):
    cell = nbformat.v4.new_code_cell(src)
    if tags:
        cell.metadata["tags"] = tags
    return cell


# ------------------------------------------------------------------ .py files


def test_py_file_is_one_cell_with_its_text(tmp_path):
    p = tmp_path / "sub.py"
    p.write_text("def f(x):\n    return x\n", encoding="utf-8")
    src = read_submission(p)
    assert (src.kind, src.cells, src.problems, src.notes) == (
        "py", [("sub.py", "def f(x):\n    return x\n")], [], [])
    assert src.assignment is None


def test_py_file_names_its_assignment_in_a_comment(tmp_path):
    p = tmp_path / "sub.py"
    p.write_text("# my work\n# dlgrade-assignment: numpy_basics\nimport numpy as np\n", encoding="utf-8")
    assert read_submission(p).assignment == "numpy_basics"


def test_py_assignment_comment_must_start_a_line_near_the_top(tmp_path):
    p = tmp_path / "sub.py"
    p.write_text("x = 1  # dlgrade-assignment: nope\n", encoding="utf-8")
    assert read_submission(p).assignment is None
    p.write_text("#" * 3000 + "\n# dlgrade-assignment: late\n", encoding="utf-8")
    assert read_submission(p).assignment is None


def test_py_file_with_a_utf8_bom_is_read(tmp_path):
    p = tmp_path / "sub.py"
    p.write_bytes(b"\xef\xbb\xbf# dlgrade-assignment: numpy_basics\nx = 1\n")
    src = read_submission(p)
    assert src.assignment == "numpy_basics"
    assert src.cells[0][1].startswith("# dlgrade")


def test_uppercase_py_extension_is_a_py_file(tmp_path):
    p = tmp_path / "SUB.PY"
    p.write_text("x = 1\n", encoding="utf-8")
    assert read_submission(p).kind == "py"


def test_empty_py_file_is_a_note_not_a_problem(tmp_path):
    p = tmp_path / "sub.py"
    p.write_text("", encoding="utf-8")
    src = read_submission(p)
    assert src.problems == [] and src.notes == ["sub.py is empty."]


def test_py_ipython_syntax_is_left_alone(tmp_path):
    # a .py file is run as it is: only notebooks are IPython
    p = tmp_path / "sub.py"
    p.write_text("%timeit f()\n", encoding="utf-8")
    assert read_submission(p).cells == [("sub.py", "%timeit f()\n")]


# ------------------------------------------------------------------ problems


def test_missing_file_is_a_problem(tmp_path):
    src = read_submission(tmp_path / "nothing.py")
    assert src.problems == ["nothing.py: no such file."]


def test_a_directory_is_a_problem(tmp_path):
    (tmp_path / "dir.py").mkdir()
    assert read_submission(tmp_path / "dir.py").problems == ["dir.py: no such file."]


def test_wrong_extension_is_a_problem(tmp_path):
    p = tmp_path / "sub.txt"
    p.write_text("x = 1\n", encoding="utf-8")
    src = read_submission(p)
    assert src.kind == "unknown"
    assert src.problems == ["sub.txt: expected a .py file or a .ipynb notebook."]
    assert src.cells == []


def test_non_utf8_file_is_a_problem_naming_the_byte(tmp_path):
    p = tmp_path / "sub.py"
    p.write_bytes(b"x = 1\n# caf\xe9\n")
    src = read_submission(p)
    assert src.problems == ["sub.py is not UTF-8 text (byte 11): save it as UTF-8."]
    assert src.cells == []


def test_too_large_file_is_a_problem_and_is_not_read(tmp_path, monkeypatch):
    p = tmp_path / "sub.py"
    with open(p, "wb") as fh:  # sparse: costs no disk
        fh.truncate(source.MAX_BYTES + 1)
    monkeypatch.setattr(type(p), "read_bytes", lambda self: pytest.fail("a too large file was read"))
    src = read_submission(p)
    assert len(src.problems) == 1
    assert "submissions are limited to 5,242,880" in src.problems[0]


def test_file_of_exactly_the_limit_is_read(tmp_path, monkeypatch):
    monkeypatch.setattr(source, "MAX_BYTES", 10)
    p = tmp_path / "sub.py"
    p.write_text("x = 12345\n", encoding="utf-8")
    assert read_submission(p).problems == []


def test_invalid_json_notebook_is_a_problem(tmp_path):
    p = tmp_path / "nb.ipynb"
    p.write_text('{"cells": [', encoding="utf-8")
    src = read_submission(p)
    assert len(src.problems) == 1
    assert src.problems[0].startswith("nb.ipynb is not a valid Jupyter notebook: ")


def test_empty_notebook_file_is_a_problem(tmp_path):
    p = tmp_path / "nb.ipynb"
    p.write_text("", encoding="utf-8")
    assert "is not a valid Jupyter notebook" in read_submission(p).problems[0]


def test_unknown_nbformat_version_is_a_problem(tmp_path):
    p = tmp_path / "nb.ipynb"
    p.write_text(json.dumps({"nbformat": 99, "nbformat_minor": 0, "metadata": {}, "cells": []}),
                 encoding="utf-8")
    problems = read_submission(p).problems
    assert len(problems) == 1 and "Unsupported nbformat version 99" in problems[0]


def test_schema_violations_are_a_note_and_cells_still_run(tmp_path):
    p = tmp_path / "nb.ipynb"
    nb = {"nbformat": 4, "nbformat_minor": 5, "metadata": {},
          "cells": [{"cell_type": "code", "id": "a", "metadata": {}, "source": "x = 1",
                     "outputs": [], "execution_count": None, "surprise": True}]}
    p.write_text(json.dumps(nb), encoding="utf-8")
    src = read_submission(p)
    assert src.problems == []
    assert src.cells == [("<cell 1>", "x = 1\n")]
    assert any("does not fully follow the nbformat schema" in n for n in src.notes)


# ------------------------------------------------------------------ notebooks


def test_notebook_code_cells_in_order_numbered_among_code_cells(tmp_path):
    nb = _notebook(nbformat.v4.new_markdown_cell("# Title"), _code("a = 1"),
                   nbformat.v4.new_raw_cell("raw"), _code("b = a + 1\nprint(b)"))
    src = read_submission(_write_nb(tmp_path / "nb.ipynb", nb))
    assert src.kind == "ipynb"
    assert src.cells == [("<cell 1>", "a = 1\n"), ("<cell 2>", "b = a + 1\nprint(b)\n")]
    assert src.problems == [] and src.notes == []


def test_notebook_names_its_assignment_in_metadata(tmp_path):
    nb = _notebook(_code("x = 1"), metadata={"dlgrade": {"assignment": "numpy_basics"}})
    assert read_submission(_write_nb(tmp_path / "nb.ipynb", nb)).assignment == "numpy_basics"


@pytest.mark.parametrize("meta", [{}, {"dlgrade": "numpy_basics"}, {"dlgrade": {"assignment": 3}}])
def test_notebook_without_a_usable_assignment_has_none(tmp_path, meta):
    nb = _notebook(_code("x = 1"), metadata=meta)
    assert read_submission(_write_nb(tmp_path / "nb.ipynb", nb)).assignment is None


def test_notebook_assignment_comment_is_not_read_from_cells(tmp_path):
    nb = _notebook(_code("# dlgrade-assignment: numpy_basics\nx = 1"))
    assert read_submission(_write_nb(tmp_path / "nb.ipynb", nb)).assignment is None


@pytest.mark.parametrize("tag", ["dlgrade-skip", "skip-grading"])
def test_cells_tagged_skip_are_skipped_but_keep_their_number(tmp_path, tag):
    nb = _notebook(_code("a = 1"), _code("check_notebook('x')", tags=[tag, "other"]), _code("b = 2"))
    src = read_submission(_write_nb(tmp_path / "nb.ipynb", nb))
    assert src.cells == [("<cell 1>", "a = 1\n"), ("<cell 3>", "b = 2\n")]


def test_line_magics_and_shell_lines_become_pass_and_are_noted(tmp_path):
    nb = _notebook(_code("%matplotlib inline\n!pip install numpy\nx = 1\nif x:\n    %time y = 2"))
    src = read_submission(_write_nb(tmp_path / "nb.ipynb", nb))
    code = src.cells[0][1]
    lines = code.splitlines()
    assert lines[0].startswith("pass  # IPython-only line, not run: %matplotlib inline")
    assert lines[1].startswith("pass  # IPython-only line, not run: !pip install numpy")
    assert lines[2] == "x = 1"
    assert lines[4].startswith("    pass  # IPython-only line, not run: %time y = 2")
    assert src.notes == ["cell 1: IPython magics or shell commands were not run."]
    compile(code, "<cell>", "exec")


def test_magic_inside_an_indented_block_keeps_the_block_valid(tmp_path):
    code = strip_ipython("for i in range(2):\n    %time f(i)\n", 1, [])
    assert code == "for i in range(2):\n    pass  # IPython-only line, not run: %time f(i)\n"
    compile(code, "<cell>", "exec")


def test_shell_assignment_becomes_pass():
    code = strip_ipython("files = !ls\nx, y = %sx echo 1\nz = 3", 1, [])
    assert code.splitlines()[0].startswith("pass  # IPython-only line, not run: files = !ls")
    assert code.splitlines()[1].startswith("pass")
    assert code.splitlines()[2] == "z = 3"


@pytest.mark.parametrize("line", ["np.zeros?", "np.zeros??", "obj.attr? "])
def test_help_lines_become_pass(line):
    code = strip_ipython(line, 1, [])
    assert code.strip().startswith("pass  # IPython-only line")
    compile(code, "<cell>", "exec")


@pytest.mark.parametrize("line", [
    "a = b != c", "x = y % 3", "print('%d' % 3)", "if a != b: pass", "s = '!'", "# %matplotlib",
    "d = {'k': 1}", "x = 3 if y else 4", "n = a ** 2",
])
def test_python_lines_are_not_mistaken_for_magics(line):
    notes = []
    assert strip_ipython(line, 1, notes) == line + "\n"
    assert notes == []


def test_bash_cell_is_skipped_with_a_note(tmp_path):
    nb = _notebook(_code("%%bash\nls -la"), _code("x = 1"))
    src = read_submission(_write_nb(tmp_path / "nb.ipynb", nb))
    assert src.cells == [("<cell 2>", "x = 1\n")]
    assert src.notes == ["cell 1 is a %%bash cell; it was not run."]


@pytest.mark.parametrize("magic", ["%%html", "%%writefile out.txt", "%%javascript", "%%"])
def test_other_language_cells_are_skipped(magic):
    notes = []
    assert strip_ipython(f"{magic}\nsome text", 4, notes) is None
    assert len(notes) == 1 and notes[0].startswith("cell 4 is a %%")


@pytest.mark.parametrize("magic", ["%%time", "%%timeit -n 1", "%%capture out"])
def test_python_cell_magics_run_the_cell_body(magic):
    code = strip_ipython(f"\n{magic}\ny = 2\nz = y + 1", 1, [])
    assert code.splitlines()[1] == ""
    assert code.splitlines()[2:] == ["y = 2", "z = y + 1"]
    compile(code, "<cell>", "exec")


def test_source_as_a_list_of_lines_is_joined(tmp_path):
    nb = {"nbformat": 4, "nbformat_minor": 5, "metadata": {},
          "cells": [{"cell_type": "code", "id": "a", "metadata": {}, "source": ["a = 1\n", "b = 2"],
                     "outputs": [], "execution_count": None}]}
    p = tmp_path / "nb.ipynb"
    p.write_text(json.dumps(nb), encoding="utf-8")
    assert read_submission(p).cells == [("<cell 1>", "a = 1\nb = 2\n")]


def test_nbformat_v3_notebook_is_upgraded(tmp_path):
    nb = {"nbformat": 3, "nbformat_minor": 0, "metadata": {},
          "worksheets": [{"cells": [{"cell_type": "code", "input": "x = 1", "outputs": [],
                                     "language": "python"}]}]}
    p = tmp_path / "nb.ipynb"
    p.write_text(json.dumps(nb), encoding="utf-8")
    src = read_submission(p)
    assert src.problems == [] and src.cells == [("<cell 1>", "x = 1\n")]


@pytest.mark.parametrize("broken", [
    [], "text", 5, {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": 5},
    {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": None},
    {"nbformat": 4, "nbformat_minor": 5, "metadata": [], "cells": []},
    {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [None, 5, "x"]},
    {"nbformat": 4, "nbformat_minor": 5, "metadata": {"dlgrade": [1]}, "cells": []},
    {"nbformat": "4", "nbformat_minor": 5, "metadata": {}, "cells": []},
    {"nbformat": 4, "nbformat_minor": 5, "metadata": {},
     "cells": [{"cell_type": "code", "metadata": "m", "source": "x = 1"}]},
    {"nbformat": 4, "nbformat_minor": 5, "metadata": {},
     "cells": [{"cell_type": "code", "metadata": {}, "source": None}]},
    {"nbformat": 4, "nbformat_minor": 5, "metadata": {},
     "cells": [{"cell_type": "code", "metadata": {"tags": "dlgrade-skip"}, "source": "x = 1"}]},
    pytest.param({"nbformat": 4, "nbformat_minor": 5, "metadata": {},
                  "cells": [{"cell_type": "code", "metadata": {"tags": 5}, "source": "x = 1"}]},
                 id="tags-int"),
    pytest.param({"nbformat": 4, "nbformat_minor": 5, "metadata": {},
                  "cells": [{"cell_type": "code", "metadata": {"tags": [["x"]]}, "source": "x = 1"}]},
                 id="tags-unhashable"),
])
def test_structurally_broken_notebook_json_never_raises(tmp_path, broken):
    p = tmp_path / "nb.ipynb"
    p.write_text(json.dumps(broken), encoding="utf-8")
    src = read_submission(p)
    assert isinstance(src.problems, list) and isinstance(src.cells, list)
    for label, code in src.cells:
        assert isinstance(label, str) and isinstance(code, str)


# ------------------------------------------------------------------ fuzzing: never raises


def _check_never_raises(path):
    src = read_submission(path)
    assert src.kind in ("py", "ipynb")
    assert all(isinstance(label, str) and isinstance(code, str) for label, code in src.cells)
    assert all(isinstance(m, str) for m in src.problems + src.notes)
    return src


@FUZZ
@given(data=st.binary(max_size=400))
def test_random_bytes_never_raise(tmp_path, data):
    for name in ("fuzz.py", "fuzz.ipynb"):
        p = tmp_path / name
        p.write_bytes(data)
        _check_never_raises(p)


def _valid_notebook_text() -> str:
    nb = _notebook(nbformat.v4.new_markdown_cell("# Intro"), _code("import numpy as np\n%time x = 1"),
                   _code("def f(x):\n    return 2 * x"), _code("check()", tags=["dlgrade-skip"]),
                   _code("%%bash\nls"), metadata={"dlgrade": {"assignment": "numpy_basics"}})
    return nbformat.writes(nb)


VALID_NB = _valid_notebook_text()


def test_the_fuzzed_notebook_is_valid_when_intact(tmp_path):
    p = tmp_path / "nb.ipynb"
    p.write_text(VALID_NB, encoding="utf-8")
    src = read_submission(p)
    assert src.problems == [] and src.assignment == "numpy_basics"
    assert [label for label, _ in src.cells] == ["<cell 1>", "<cell 2>"]


@FUZZ
@given(cut=st.integers(0, len(VALID_NB)))
def test_truncated_notebook_json_never_raises(tmp_path, cut):
    p = tmp_path / "nb.ipynb"
    p.write_text(VALID_NB[:cut], encoding="utf-8")
    src = _check_never_raises(p)
    if cut < len(VALID_NB.rstrip()):
        assert src.problems  # a truncated notebook is never taken as valid


@FUZZ
@given(edits=st.lists(st.tuples(st.integers(0, len(VALID_NB) - 1), st.characters(codec="utf-8")),
                      min_size=1, max_size=4))
def test_randomly_edited_notebook_json_never_raises(tmp_path, edits):
    text = list(VALID_NB)
    for position, char in edits:
        text[position] = char
    p = tmp_path / "nb.ipynb"
    p.write_text("".join(text), encoding="utf-8")
    _check_never_raises(p)
