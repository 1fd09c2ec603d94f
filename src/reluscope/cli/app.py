"""The click group every command module registers on; kept apart so commands import no cycle.

``COMMANDS`` names each command's module and the line ``reluscope --help`` lists for it: a module (and with it
torch, matplotlib, …) is imported only when its command runs or is asked for its own ``--help``, so the
listing and a usage error start at once.
"""

from __future__ import annotations

import importlib
import os
import sys

import click

from reluscope.outputs import printable

COMMANDS = {  # name -> (module that registers it, its docstring's first paragraph)
    "backproject": ("reluscope.cli.backproject",
                    "Back-project each layer's activations into the input plane and draw the folded grid."),
    "init-study": ("reluscope.cli.initstudy",
                   "Compare initialisation schemes: per-layer variance vs theory, and which deep nets train."),
    "regions": ("reluscope.cli.regions",
                "Count and draw the linear regions (decision cells) of every layer of a trained run."),
    "study": ("reluscope.cli.study", "Run the whole sheet (Tasks 0, 1, 2, the decision cells, mean-field "
              "trainability) and write OUT/report.html in English or German, one offline page, with its figures "
              "and tables beside it."),
    "sweep": ("reluscope.cli.sweep",
              "Train a grid of networks as ensembles; heat maps of trainability with mean-field theory."),
    "serve": ("reluscope.cli.serve",
              "A live playground in the browser: every layer's statistics, back-projection and cells."),
    "train": ("reluscope.cli.train", "Train one MLP classifier and write its run directory."),
}


class LazyGroup(click.Group):
    """A group whose commands are imported on first use; its listing comes from ``COMMANDS``."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in COMMANDS and name not in self.commands:
            importlib.import_module(COMMANDS[name][0])  # the module registers its command on ``app``
        return self.commands.get(name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        limit = formatter.width - 6 - max(map(len, COMMANDS))
        with formatter.section("Commands"):
            formatter.write_dl([(name, click.Command(name, help=text).get_short_help_str(limit))
                                for name, (_, text) in COMMANDS.items()])


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(package_name="reluscope")
def app() -> None:
    """Why deep ReLU networks need the right initialisation, and what each layer does to the input plane."""
    draw_without_a_window()


def say(line: str, *, err: bool = False) -> None:
    """Print one line (a summary on stdout, an error on stderr) as ``outputs.printable`` text: a path's bytes
    that are not UTF-8 appear as ``\\xNN`` whatever the stream's encoding."""
    click.echo(printable(line), err=err)


def draw_without_a_window() -> None:
    """Figures go to files only: matplotlib's Agg backend, whatever the session's default — chosen through
    ``MPLBACKEND`` before matplotlib loads (nothing imported here), switched if it is already loaded."""
    if "matplotlib" in sys.modules:
        sys.modules["matplotlib"].use("Agg")
    else:
        os.environ["MPLBACKEND"] = "Agg"
