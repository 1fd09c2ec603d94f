"""``reluscope.outputs``: a directory written by ``atomic_dir`` appears whole, with the mode ``mkdir`` gives."""

import os
import stat

import pytest

from reluscope.errors import ReluscopeError
from reluscope.outputs import atomic_dir, atomic_file, prepare_out_dir, write_csv


@pytest.fixture
def umask():
    """Set the process umask for one test and restore it afterwards."""
    old = os.umask(0o022)
    yield os.umask
    os.umask(old)


@pytest.mark.parametrize("mask", [0o022, 0o027, 0o002])
def test_directory_gets_the_mode_of_a_plain_mkdir(tmp_path, umask, mask):
    umask(mask)
    (tmp_path / "plain").mkdir()  # the oracle: what the OS gives a new directory under this umask
    with atomic_dir(tmp_path / "out") as tmp:
        write_csv(tmp / "t.csv", [{"a": 1}])
    mode = stat.S_IMODE((tmp_path / "out").stat().st_mode)
    assert mode == stat.S_IMODE((tmp_path / "plain").stat().st_mode) == 0o777 & ~mask


def test_replaces_an_existing_directory_and_leaves_no_temporaries(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "old.txt").write_text("old")
    with atomic_dir(out) as tmp:
        (tmp / "new.txt").write_text("new")
    assert [p.name for p in tmp_path.iterdir()] == ["out"]
    assert [p.name for p in out.iterdir()] == ["new.txt"]


def test_a_failure_leaves_out_as_it_was(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "old.txt").write_text("old")
    with pytest.raises(RuntimeError), atomic_dir(out) as tmp:
        (tmp / "half.txt").write_text("half")
        raise RuntimeError("disk full")
    assert [p.name for p in tmp_path.iterdir()] == ["out"]
    assert (out / "old.txt").read_text() == "old" and not (out / "half.txt").exists()


def test_prepare_out_dir_refuses_a_file_and_a_non_empty_directory_without_force(tmp_path):
    (tmp_path / "f").write_text("x")
    with pytest.raises(ReluscopeError, match="not a directory"):
        prepare_out_dir(tmp_path / "f")
    with pytest.raises(ReluscopeError, match="not empty"):
        prepare_out_dir(tmp_path)
    assert prepare_out_dir(tmp_path, force=True) == tmp_path
    assert prepare_out_dir(tmp_path / "new") == tmp_path / "new"


def test_atomic_file_replaces_in_one_rename_and_keeps_the_old_file_on_failure(tmp_path):
    path = tmp_path / "runs.csv"
    path.write_text("old\n")
    with pytest.raises(RuntimeError), atomic_file(path) as tmp:
        assert tmp.parent == tmp_path and tmp.suffix == ".csv" and tmp != path
        tmp.write_text("half")
        raise RuntimeError("killed")
    assert path.read_text() == "old\n" and [p.name for p in tmp_path.iterdir()] == ["runs.csv"]
    with atomic_file(path) as tmp:
        write_csv(tmp, [{"a": 1}])
        assert path.read_text() == "old\n"  # not replaced before the block ends
    assert path.read_text().splitlines() == ["a", "1"] and [p.name for p in tmp_path.iterdir()] == ["runs.csv"]


@pytest.mark.parametrize("out", [".", "..", "sub/.."])
def test_prepare_out_dir_refuses_the_working_directory_and_above(tmp_path, monkeypatch, out):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "sub").mkdir()
    with pytest.raises(ReluscopeError, match="current directory"):
        prepare_out_dir(out, force=True)
    assert prepare_out_dir("sub", force=True).name == "sub"
