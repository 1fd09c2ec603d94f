"""What a report is made of: sections of prose, tables, figures and interactive viewers.

The study composes a ``Report`` from its numbers and figures; ``reluscope.report.html`` turns it into one
self-contained page. Nothing here knows about networks: a figure is image bytes (PNG or WebP), a table is
strings.

A ``Viewer`` is a figure that depends on a few discrete choices (its axes), e.g. training step × layer:
one pre-rendered image frame per combination, and a control per axis (a slider, a drop-down or toggle
buttons) that picks the frame in the browser.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from reluscope.errors import ReluscopeError

Control = Literal["slider", "select", "toggle"]


@dataclass
class Image:
    """One static figure."""

    name: str  # file stem of the PNG written beside the report, e.g. "task0_boundary"
    png: bytes
    caption: str = ""


@dataclass
class Table:
    """A table of already formatted cells."""

    columns: list[str]
    rows: list[list[str]]
    caption: str = ""
    name: str = ""  # stem of the CSV written beside the report ("" for none)


@dataclass
class Axis:
    """One choice a viewer offers: its label, the control that picks it and the options' labels."""

    label: str  # e.g. "training step"
    control: Control
    options: list[str]  # e.g. ["0", "100", ...]
    initial: int = 0  # index of the option shown first


def option_keys(axes: Sequence[Axis]) -> list[tuple[int, ...]]:
    """Every combination of option indices of ``axes``, row-major (the last axis varies fastest)."""
    return list(itertools.product(*(range(len(a.options)) for a in axes)))


@dataclass
class Viewer:
    """A figure chosen by one option per axis: ``frames[(i, j, …)]`` is the image (WebP) for option i of
    axis 0, …"""

    name: str  # file stem prefix of its frames
    axes: list[Axis]
    frames: dict[tuple[int, ...], bytes]
    caption: str = ""

    def __post_init__(self) -> None:
        missing = [k for k in self.keys() if k not in self.frames]
        if missing:
            raise ReluscopeError(f"viewer {self.name}: no frame for {missing[0]} ({len(missing)} missing)")

    def keys(self) -> list[tuple[int, ...]]:
        """Every combination of option indices, row-major (the last axis varies fastest)."""
        return option_keys(self.axes)

    def initial_key(self) -> tuple[int, ...]:
        return tuple(a.initial for a in self.axes)


Block = Image | Table | Viewer


@dataclass
class Section:
    """One part of the page, in reading order: the sheet's question, the short answer with this run's numbers,
    the figures and tables, the derivation (collapsed) and, in the appendix, the tests that check it."""

    id: str  # HTML anchor
    title: str
    question: str = ""  # the sheet's words, quoted in its original German (Markdown with ``$…$`` math)
    answer: str = ""  # the answer in brief, with this run's numbers (Markdown)
    blocks: list[Block | str] = field(default_factory=list)  # a str block is Markdown (a finding)
    derivation: str = ""  # Markdown, shown collapsed after the blocks (from docs/theory.md)
    evidence: list[tuple[str, str]] = field(default_factory=list)  # (sub-section, Markdown naming its tests)


@dataclass
class Report:
    """The whole page."""

    title: str
    provenance: dict[str, str]  # shown at the top: data set, seeds, versions, command, wall time
    sections: list[Section]
    lead: str = ""  # Markdown under the title: what the page is and how to read it
    lang: str = "en"  # every text's language, the page's own words (texts/page.toml) too; the quotes stay German


@dataclass
class Part:
    """What one stage of a study contributes: its section of the page and its rows of the summary table."""

    section: Section
    summary: list[list[str]] = field(default_factory=list)  # rows: task, setting, measured, expected
