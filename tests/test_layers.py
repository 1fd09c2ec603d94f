"""The pipeline's layers (pyproject.toml, ``[tool.importlinter]``): no module imports from a layer above its own.

``lint-imports`` reads every import of the package, those inside functions and under ``TYPE_CHECKING``
included, so neither a lazy import nor a type-only one can hide an upward edge or a circle.
"""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")  # installed by the 'test' extra


def test_every_import_goes_down_the_layers():
    done = subprocess.run([str(LINT_IMPORTS), "--no-cache", "--no-logo", str(ROOT / "pyproject.toml")], cwd=ROOT,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
