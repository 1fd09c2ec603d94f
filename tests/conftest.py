"""Shared test settings: torch on one thread (the suite's two workers share 2 cores), figures drawn with Agg, and
hypothesis derandomized, so CI runs the same examples every time (a property failure is reproducible, never flaky)."""

import os
from pathlib import Path

import matplotlib
import pytest
import torch
from hypothesis import settings

settings.register_profile("reluscope", derandomize=True, deadline=None)
settings.register_profile("explore", max_examples=300, deadline=None)  # HYPOTHESIS_PROFILE=explore: new examples
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "reluscope"))

matplotlib.use("Agg")  # tests draw into files only
torch.set_num_threads(1)


CHROMIUM = Path("/usr/bin/chromium")  # Debian's; Playwright never downloads a browser here
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="module")
def chromium():
    """Headless Chromium driven by Playwright, one per test module; skips where it is not installed."""
    if not CHROMIUM.is_file():
        pytest.skip(f"{CHROMIUM} not found: `make browser` installs Debian's chromium")
    sync_playwright = pytest.importorskip("playwright.sync_api").sync_playwright
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def watch(page, local) -> tuple[list[str], list[str]]:
    """The page's console errors and its requests to anywhere but ``local`` (URL prefixes), as they happen."""
    errors, outside = [], []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("request", lambda r: None if r.url.startswith(local) else outside.append(r.url))
    return errors, outside
