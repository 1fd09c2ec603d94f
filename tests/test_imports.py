"""Import weight: the package and the command line load without matplotlib, scikit-learn or SciPy (torch too),
and ``reluscope --help`` lists every command from ``COMMANDS`` without importing one."""

import re
import subprocess
import sys

import pytest

from reluscope.cli.app import COMMANDS, app

HEAVY = ("matplotlib", "sklearn", "scipy", "torch")


def _loaded_after(code: str) -> list[str]:
    """The heavy top-level packages in ``sys.modules`` after running ``code`` in a fresh interpreter."""
    probe = f"{code}\nimport sys\nprint('\\n' + ' '.join(m for m in {HEAVY!r} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    return out.splitlines()[-1].split() if out.strip() else []


@pytest.mark.parametrize("code", ["import reluscope", "import reluscope.cli",
                                  "import reluscope.cli; reluscope.cli.main(['--help'])"])
def test_package_and_cli_load_light(code):
    assert _loaded_after(code) == []


def test_library_entry_points_load_without_plotting_or_sklearn():
    """Reading a run or training one needs torch, but matplotlib, scikit-learn and SciPy only once a figure is
    drawn or data generated."""
    loaded = _loaded_after("import reluscope as rs; rs.TrainConfig, rs.load_run, rs.train_to_dir, rs.load_dataset")
    assert loaded == ["torch"]


def test_listing_matches_each_commands_docstring():
    for name, (_, text) in COMMANDS.items():
        command = app.get_command(None, name)
        assert command is not None and command.name == name
        assert " ".join(command.help.split("\n\n")[0].split()) == text


def test_help_lists_every_command(capsys):
    from reluscope.cli import main

    assert main(["--help"]) == 0
    listed = re.findall(r"^  (\S+)  ", capsys.readouterr().out.split("Commands:")[1], flags=re.M)
    assert listed == list(COMMANDS)


BAD_INPUT = [["train", "--depth", "0"], ["train", "--init", "bogus"], ["init-study", "--depths", "0"],
             ["sweep", "--depths", "0"], ["regions", "/nonexistent"], ["backproject", "/nonexistent"],
             ["serve", "--port", "-5"], ["study", "--dataset", "bogus"]]


def test_bad_input_is_refused_before_the_library_loads():
    """A configuration is checked against torch-free names and limits, so its error comes at once (the wall
    times are in ``benchmarks/cli_start.py``). One interpreter refuses each line in turn and names the heavy
    packages loaded after each: a package stays loaded, so the first line that loads one is the one named."""
    code = "\n".join(["import sys, reluscope.cli", f"for argv in {BAD_INPUT!r}:",
                      "    assert reluscope.cli.main(argv) == 2, argv",
                      f"    print(repr(argv), *(m for m in {HEAVY!r} if m in sys.modules))"])
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    lines = [line for line in out.splitlines() if line.startswith("[")]
    assert lines == [repr(argv) for argv in BAD_INPUT]
