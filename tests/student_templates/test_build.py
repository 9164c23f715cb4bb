"""student_templates.build: notebooks generated from the references, and graded as such."""

from __future__ import annotations

import ast
import functools
from pathlib import Path

import nbformat
import pytest

import graders.assignments
from graders.engine.runner import grade
from student_templates import build
from student_templates.build import build_notebook, split_module, strip_solutions

TEMPLATES = Path(build.__file__).resolve().parent
NUMPY_BASICS = graders.assignments.get("numpy_basics")


# ------------------------------------------------------------------ strip_solutions


def test_solution_block_becomes_raise_at_the_block_indentation():
    src = ("def f(x):\n"
           "    y = x + 1\n"
           "    ### BEGIN SOLUTION\n"
           "    return y * 2\n"
           "    ### END SOLUTION\n")
    assert strip_solutions(src) == ("def f(x):\n"
                                    "    y = x + 1\n"
                                    '    raise NotImplementedError("TODO: write this part")\n')


def test_todo_hints_are_kept_at_the_block_indentation_before_the_raise():
    src = ("def f(x):\n"
           "    ### BEGIN SOLUTION\n"
           "    # TODO: double x.\n"
           "    y = 2 * x\n"
           "    if y:\n"
           "        # TODO: and return it.\n"
           "        return y\n"
           "    ### END SOLUTION\n")
    assert strip_solutions(src).splitlines() == [
        "def f(x):",
        "    # TODO: double x.",
        "    # TODO: and return it.",
        '    raise NotImplementedError("TODO: write this part")',
    ]


def test_nested_block_uses_its_own_indentation():
    src = ("class Net:\n"
           "    def forward(self, x):\n"
           "        ### BEGIN SOLUTION\n"
           "        return x\n"
           "        ### END SOLUTION\n"
           "\n"
           "    def backward(self, d):\n"
           "        return d\n")
    out = strip_solutions(src).splitlines()
    assert out[2] == '        raise NotImplementedError("TODO: write this part")'
    assert out[3:] == ["", "    def backward(self, d):", "        return d"]
    compile(strip_solutions(src), "<template>", "exec")


def test_template_lines_replace_the_raise():
    src = ("### BEGIN SOLUTION\n"
           "# TODO: fill in your answers.\n"
           "ANSWERS = {'q1': 3}\n"
           "# TEMPLATE: ANSWERS = {'q1': None}\n"
           "### END SOLUTION\n")
    assert strip_solutions(src) == "# TODO: fill in your answers.\nANSWERS = {'q1': None}\n"


def test_template_lines_keep_their_own_indentation():
    src = ("def f():\n"
           "    ### BEGIN SOLUTION\n"
           "    return 1\n"
           "    # TEMPLATE: return None\n"
           "    ### END SOLUTION\n")
    assert strip_solutions(src) == "def f():\n    return None\n"


def test_several_blocks_are_each_replaced_and_text_outside_is_kept():
    src = ("import numpy as np\n\n"
           "def f(x):\n    ### BEGIN SOLUTION\n    return x\n    ### END SOLUTION\n\n"
           "def g(x):\n    '''doc'''\n    ### BEGIN SOLUTION\n    return -x\n    ### END SOLUTION\n")
    out = strip_solutions(src)
    assert out.count("raise NotImplementedError") == 2
    assert "return x" not in out and "return -x" not in out
    assert out.startswith("import numpy as np\n\ndef f(x):\n") and "    '''doc'''\n" in out


def test_source_without_blocks_is_unchanged_but_for_a_final_newline():
    assert strip_solutions("x = 1\ny = 2") == "x = 1\ny = 2\n"


def test_unterminated_block_is_an_error():
    with pytest.raises(ValueError, match="BEGIN SOLUTION without ### END SOLUTION"):
        strip_solutions("def f():\n    ### BEGIN SOLUTION\n    return 1\n")


def test_markers_must_be_alone_on_their_line():
    src = "x = 1  ### BEGIN SOLUTION\n"
    assert strip_solutions(src) == src


# ------------------------------------------------------------------ split_module and build_notebook


def test_split_module_separates_docstring_preamble_and_definitions():
    src = ('"""# Title\n\nIntro."""\n\nimport numpy as np\n\nSCALE = 2\n\n\n'
           '# -- section --\n\ndef f(x):\n    """Double."""\n    return SCALE * x\n\n\n'
           '@staticmethod\ndef g(x):\n    return x\n')
    doc, preamble, chunks = split_module(src)
    assert doc == "# Title\n\nIntro."
    assert preamble == "import numpy as np\n\nSCALE = 2"
    assert [(name, docstring) for name, docstring, _ in chunks] == [("f", "Double."), ("g", "")]
    assert chunks[0][2].startswith("# -- section --\n\ndef f(x):")
    assert chunks[1][2].startswith("@staticmethod\ndef g(x):")


@functools.lru_cache(maxsize=None)
def _numpy_basics_notebook() -> nbformat.NotebookNode:
    return build_notebook("numpy_basics", NUMPY_BASICS.reference)


def test_notebook_is_valid_nbformat_and_names_its_assignment():
    nb = _numpy_basics_notebook()
    nbformat.validate(nb)
    assert nb.metadata["dlgrade"] == {"assignment": "numpy_basics"}
    assert nb.metadata["kernelspec"]["language"] == "python"


def test_notebook_starts_with_the_module_docstring():
    nb = _numpy_basics_notebook()
    doc, _, _ = split_module(NUMPY_BASICS.reference.read_text(encoding="utf-8"))
    assert nb.cells[0].cell_type == "markdown" and nb.cells[0].source == doc


def test_notebook_has_a_markdown_cell_per_contract_function_before_its_code():
    nb = _numpy_basics_notebook()
    headings = [c.source.splitlines()[0] for c in nb.cells if c.cell_type == "markdown"]
    for name in NUMPY_BASICS.contract:
        assert f"## `{name}`" in headings


def test_notebook_code_has_no_solution_and_compiles():
    nb = _numpy_basics_notebook()
    code_cells = [c for c in nb.cells if c.cell_type == "code"]
    for cell in code_cells:
        assert "BEGIN SOLUTION" not in cell.source and "END SOLUTION" not in cell.source
        compile(cell.source, "<cell>", "exec")
    assert sum("raise NotImplementedError" in c.source for c in code_cells) >= len(NUMPY_BASICS.contract)
    assert any("# TODO" in c.source for c in code_cells)


def test_notebook_ends_with_a_self_check_cell_the_grader_skips():
    last = _numpy_basics_notebook().cells[-1]
    assert last.cell_type == "code"
    assert last.metadata["tags"] == ["dlgrade-skip"]
    assert 'check_notebook("numpy_basics")' in last.source


def test_rebuilding_is_byte_identical():
    a = build.render(build_notebook("numpy_basics", NUMPY_BASICS.reference))
    b = build.render(build_notebook("numpy_basics", NUMPY_BASICS.reference))
    assert a == b
    ids = [c.id for c in nbformat.reads(a, as_version=4).cells]
    assert len(set(ids)) == len(ids) and ids[0] == "numpy_basics-000"


def test_main_writes_then_check_passes_and_a_stale_notebook_fails(tmp_path, capsys):
    assert build.main(["--out", str(tmp_path)]) == 0
    written = sorted(p.name for p in tmp_path.glob("*.ipynb"))
    assert written == sorted(f"{aid}.ipynb" for aid in build.targets())
    assert build.main(["--check", "--out", str(tmp_path)]) == 0
    (tmp_path / "numpy_basics.ipynb").write_text("{}", encoding="utf-8")
    capsys.readouterr()
    assert build.main(["--check", "--out", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert "out of date (run python -m student_templates.build): numpy_basics.ipynb" in err


def test_committed_notebooks_are_up_to_date(capsys):
    if not list(TEMPLATES.glob("*.ipynb")):
        pytest.skip("no notebooks are committed in student_templates/ yet")
    status = build.main(["--check"])
    assert status == 0, capsys.readouterr().err


# ------------------------------------------------------------------ grading the template and the reference


@pytest.fixture(scope="module")
def graded_template(tmp_path_factory):
    path = tmp_path_factory.mktemp("template") / "numpy_basics.ipynb"
    path.write_text(build.render(_numpy_basics_notebook()), encoding="utf-8")
    return grade(str(path), NUMPY_BASICS)


def test_fresh_template_gets_zero_with_not_implemented_yet_feedback(graded_template):
    report = graded_template
    assert report.score == 0 and report.max_score > 0
    assert len(report.tests) == len(NUMPY_BASICS.all_checks())
    for t in report.tests:
        assert "Not implemented yet" in t.output, (t.name, t.output)


def test_fresh_template_grades_without_internal_errors_or_load_errors(graded_template):
    report = graded_template
    assert not [t.name for t in report.tests if "internal error" in t.output]
    assert report.load_messages == []  # the template's cells all run; the self-check is skipped


def test_reference_gets_full_marks():
    report = grade(str(NUMPY_BASICS.reference), NUMPY_BASICS)
    failed = {t.name: t.output for t in report.tests if not t.passed}
    assert not failed
    assert report.score == report.max_score > 0


# ------------------------------------------------------------------ what every notebook shows


@functools.lru_cache(maxsize=None)
def _all_notebooks() -> dict:
    return {aid: build_notebook(aid, reference) for aid, reference in build.targets().items()}


def test_each_definitions_explanation_is_shown_once_in_its_markdown_cell():
    for aid, nb in _all_notebooks().items():
        for cell in nb.cells:
            if cell.cell_type != "code":
                continue
            for node in ast.parse(cell.source).body:
                if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and len(node.body) > 1:
                    assert ast.get_docstring(node) is None, (aid, node.name)


def test_split_module_leaves_the_docstring_out_of_the_code_but_keeps_a_docstring_only_body():
    src = 'def f(x):\n    """Double.\n\n    Twice x.\n    """\n    return 2 * x\n\n\ndef g():\n    """Only this."""\n'
    _, _, chunks = split_module(src)
    assert chunks[0] == ("f", "Double.\n\nTwice x.", "def f(x):\n    return 2 * x")
    assert chunks[1] == ("g", "Only this.", 'def g():\n    """Only this."""')


def test_the_self_check_mentions_hidden_checks_only_for_an_assignment_that_has_some():
    for aid, nb in _all_notebooks().items():
        text = nb.cells[-2].source + nb.cells[-1].source
        hidden = build.hidden_checks(aid)
        if hidden:
            assert f"The {hidden} hidden check(s) are NOT run here" in nb.cells[-1].source, aid
        else:
            assert "hidden" not in text.lower(), aid
    assert build.hidden_checks("theory") == 2 and build.hidden_checks("numpy_basics") == 0


def test_every_notebook_says_where_the_contract_is():
    for aid, nb in _all_notebooks().items():
        assert "`CONTRACT.md`" in nb.cells[1].source and f"dlgrade contract {aid}" in nb.cells[1].source
