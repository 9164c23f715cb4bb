"""Finding a class's submissions in a folder or a zip, and extracting zips safely."""

from __future__ import annotations

import stat
import zipfile

import pytest

from graders.batch import BatchError, discover, extract_zip, find_submission
from graders.batch.discover import safe_key


def _touch(path, text="x = 1\n"):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_one_file_or_one_folder_per_student_sorted_by_name(tmp_path):
    _touch(tmp_path / "bob.py")
    _touch(tmp_path / "Alice.ipynb", "{}")
    _touch(tmp_path / "carol" / "notes.txt")
    _touch(tmp_path / "carol" / "work" / "hw.py")
    _touch(tmp_path / "dave" / "readme.md")
    _touch(tmp_path / "notes.txt")  # not a submission: ignored
    _touch(tmp_path / ".hidden.py")
    _touch(tmp_path / "__MACOSX" / "bob.py")
    students = discover(tmp_path)
    assert [s.name for s in students] == ["Alice", "bob", "carol", "dave"]
    assert [s.relpath for s in students] == ["Alice.ipynb", "bob.py", "carol/work/hw.py", "dave/"]
    assert students[3].submission is None


def test_in_a_folder_a_notebook_beats_a_py_file_and_shallow_beats_deep(tmp_path):
    _touch(tmp_path / "a.py")
    _touch(tmp_path / "deep" / "z.ipynb", "{}")
    _touch(tmp_path / ".ipynb_checkpoints" / "a-checkpoint.ipynb", "{}")
    assert find_submission(tmp_path) == tmp_path / "deep" / "z.ipynb"
    _touch(tmp_path / "b.ipynb", "{}")
    assert find_submission(tmp_path) == tmp_path / "b.ipynb"


def test_a_single_wrapping_folder_is_looked_through(tmp_path):
    _touch(tmp_path / "export" / "alice" / "hw.ipynb", "{}")
    _touch(tmp_path / "export" / "bob.py")
    assert [s.name for s in discover(tmp_path)] == ["alice", "bob"]


def test_report_file_names_are_safe_and_unique():
    taken: set[str] = set()
    keys = [safe_key(n, taken) for n in ["alice", "Alice", "../etc/passwd", "名前", "a b", ""]]
    assert keys == ["alice", "Alice-2", "etc_passwd", "student", "a_b", "student-2"]
    assert all("/" not in k and not k.startswith(".") for k in keys)


def test_a_student_file_and_folder_of_the_same_name_get_distinct_keys(tmp_path):
    _touch(tmp_path / "alice.py")
    _touch(tmp_path / "alice" / "hw.py")
    keys = [s.key for s in discover(tmp_path)]
    assert len(set(keys)) == 2


def test_not_a_folder_is_a_batch_error(tmp_path):
    with pytest.raises(BatchError, match="not a folder"):
        discover(tmp_path / "nope")


# ---------------------------------------------------------------- zips


def _zip(path, entries):
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in entries:
            if isinstance(data, zipfile.ZipInfo):
                zf.writestr(data, b"target")
            else:
                zf.writestr(name, data)
    return path


def test_zip_is_extracted(tmp_path):
    archive = _zip(tmp_path / "class.zip", [("alice.py", "x = 1\n"), ("bob/hw.ipynb", "{}")])
    out = extract_zip(archive, tmp_path / "out")
    assert [s.relpath for s in discover(out)] == ["alice.py", "bob/hw.ipynb"]


@pytest.mark.parametrize("name", ["/etc/evil.py", "../evil.py", "ok/../../evil.py", "C:/evil.py", "a\\..\\..\\evil.py"])
def test_zip_with_an_unsafe_path_is_rejected_whole(tmp_path, name):
    archive = _zip(tmp_path / "class.zip", [("alice.py", "x = 1\n"), (name, "boom")])
    with pytest.raises(BatchError, match="unsafe"):
        extract_zip(archive, tmp_path / "out")
    assert not (tmp_path / "out").exists() and not (tmp_path / "evil.py").exists()


def test_zip_with_a_symlink_is_rejected(tmp_path):
    link = zipfile.ZipInfo("alice.py")
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    archive = _zip(tmp_path / "class.zip", [("alice.py", link)])
    with pytest.raises(BatchError, match="link"):
        extract_zip(archive, tmp_path / "out")


def test_zip_bigger_than_the_cap_is_rejected(tmp_path):
    archive = _zip(tmp_path / "class.zip", [("a.py", "x" * 5000), ("b.py", "y" * 5000)])
    with pytest.raises(BatchError, match="bytes once extracted"):
        extract_zip(archive, tmp_path / "out", max_bytes=8000)


def test_zip_whose_header_lies_about_its_size_is_stopped_while_extracting(tmp_path):
    archive = _zip(tmp_path / "class.zip", [("a.py", "x" * 50_000)])
    data = bytearray(archive.read_bytes())
    # shrink the declared size in the central directory (and the local header) to 10 bytes
    with zipfile.ZipFile(archive) as zf:
        info = zf.infolist()[0]
    for sig in (b"PK\x01\x02", b"PK\x03\x04"):
        at = data.find(sig)
        offset = 24 if sig == b"PK\x01\x02" else 22
        data[at + offset:at + offset + 4] = (10).to_bytes(4, "little")
    archive.write_bytes(bytes(data))
    assert info.file_size == 50_000
    with pytest.raises(BatchError):
        extract_zip(archive, tmp_path / "out", max_bytes=1000)


def test_not_a_zip_is_a_batch_error(tmp_path):
    bad = tmp_path / "class.zip"
    bad.write_bytes(b"not a zip")
    with pytest.raises(BatchError, match="not a readable zip"):
        extract_zip(bad, tmp_path / "out")


def test_a_single_students_folder_is_not_mistaken_for_a_wrapper(tmp_path):
    _touch(tmp_path / "alice" / "hw.ipynb", "{}")
    _touch(tmp_path / "alice" / "data.csv")
    assert [s.name for s in discover(tmp_path)] == ["alice"]


# ---------------------------------------------------------------- which file of a student's folder


def _notebook(path, code, assignment="numpy_basics"):
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.metadata["dlgrade"] = {"assignment": assignment}
    nb.cells = [nbformat.v4.new_code_cell(code)]
    return _touch(path, nbformat.writes(nb))


def test_for_an_assignment_the_students_work_beats_a_blank_template_copy_listed_first(tmp_path):
    from graders import assignments
    from student_templates.build import build_notebook, render

    reference = assignments.get("numpy_basics").reference
    blank = render(build_notebook("numpy_basics", reference))
    _touch(tmp_path / "alice" / "a_template.ipynb", blank)
    _touch(tmp_path / "alice" / "numpy_basics.ipynb", blank)
    work = _notebook(tmp_path / "alice" / "z_mine.ipynb", "def relu(z):\n    return z * (z > 0)\n")
    _notebook(tmp_path / "bob" / "numpy_basics.ipynb", "def relu(z):\n    return z\n", assignment="vae_torch")
    bob_work = _touch(tmp_path / "bob" / "hw.py", "def relu(z):\n    return z\n")
    alice, bob = discover(tmp_path, "numpy_basics")
    assert alice.submission == work and alice.relpath == "alice/z_mine.ipynb"
    assert bob.submission == bob_work  # another assignment's notebook comes last
    # without an assignment, the first notebook in sorted order, as before
    assert find_submission(tmp_path / "alice") == tmp_path / "alice" / "a_template.ipynb"


def test_a_blank_template_copy_alone_is_still_graded(tmp_path):
    from graders import assignments
    from student_templates.build import build_notebook, render

    blank = render(build_notebook("numpy_basics", assignments.get("numpy_basics").reference))
    only = _touch(tmp_path / "carol" / "numpy_basics.ipynb", blank)
    assert discover(tmp_path, "numpy_basics")[0].submission == only
