"""``reluscope study --pdf``: without a Chromium on PATH it is refused up front (exit code 2, one line, nothing
written); with one, the page is printed by a headless call whose failures read as one line. A stand-in
``chromium`` script on PATH plays the browser, so these tests need none."""

import os
import stat
import time

import pytest

from reluscope.cli import main
from reluscope.errors import ReluscopeError
from reluscope.report.config import StudyConfig
from reluscope.report.pdf import find_chromium, print_pdf

NO_CHROMIUM = "--pdf needs Chromium (chromium or google-chrome on PATH); install it or leave out --pdf"


def _browser(folder, name, script):
    """An executable ``folder/name`` running the shell ``script`` (its arguments in "$@")."""
    path = folder / name
    path.write_text("#!/bin/sh\n" + script)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


@pytest.fixture
def path_of(tmp_path, monkeypatch):
    """PATH holds only a fresh folder (the stand-ins run /bin/sh by its path); returns that folder."""
    folder = tmp_path / "bin"
    folder.mkdir()
    monkeypatch.setenv("PATH", str(folder))
    return folder


def test_pdf_without_chromium_is_refused_before_any_work(path_of, tmp_path, capsys):
    assert find_chromium() is None
    with pytest.raises(ReluscopeError) as e:
        StudyConfig(pdf=True, out=tmp_path / "s").validate()
    assert str(e.value) == NO_CHROMIUM
    StudyConfig(pdf=False).validate()  # the HTML alone needs no browser
    assert main(["study", "--quick", "--pdf", "--out", str(tmp_path / "s")]) == 2
    assert capsys.readouterr().err.strip() == f"reluscope: error: {NO_CHROMIUM}"
    assert not (tmp_path / "s").exists()


def test_the_first_browser_on_path_prints_headless_without_header_or_footer(path_of, tmp_path, monkeypatch):
    _browser(path_of, "google-chrome", "exit 1\n")
    _browser(path_of, "chromium-browser", 'echo "$@" > "$ARGS"; for a; do case $a in --print-to-pdf=*) '
                                          'printf "%%PDF-1.4" > "${a#--print-to-pdf=}";; esac; done\n')
    monkeypatch.setenv("ARGS", str(tmp_path / "args"))
    page = tmp_path / "report.html"
    page.write_text("<p>x</p>")
    assert find_chromium() == str(path_of / "chromium-browser")  # chromium-browser before google-chrome
    assert print_pdf(page, tmp_path / "report.pdf").read_bytes() == b"%PDF-1.4"
    args = (tmp_path / "args").read_text().split()
    assert {"--headless", "--no-sandbox", "--disable-gpu", "--no-pdf-header-footer"} <= set(args)
    assert f"--print-to-pdf={tmp_path / 'report.pdf'}" in args and args[-1] == page.as_uri()


@pytest.mark.parametrize("script, message, timeout", [
    ("echo 'first' >&2; echo 'ERROR: cannot open display' >&2; exit 3\n",
     r"Chromium could not print .*report.html to PDF \(exit code 3\): ERROR: cannot open display$", 30),
    ("exit 0\n", r"Chromium could not print .*report.html to PDF \(exit code 0\)$", 30),  # and wrote nothing
    ("/bin/sleep 30 & /bin/sleep 30\n", r"Chromium did not print .*report.html within 0.5 s$", 0.5),  # helpers end too
])
def test_a_failed_print_is_one_line(path_of, tmp_path, script, message, timeout):
    _browser(path_of, "chromium", script)
    page = tmp_path / "report.html"
    page.write_text("<p>x</p>")
    start = time.monotonic()
    with pytest.raises(ReluscopeError, match=message) as e:
        print_pdf(page, tmp_path / "report.pdf", timeout=timeout)
    assert "\n" not in str(e.value) and time.monotonic() - start < 10
