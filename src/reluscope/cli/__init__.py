"""The command line, the pipeline's last stage. Thin: every command parses options and calls the library.

Bad input — a ``ReluscopeError`` from the library or a usage error from the parser — ends with exit code 2
and one line on stderr, never a traceback.
"""

from __future__ import annotations

import os
import sys

import click

from reluscope.cli.app import app, say
from reluscope.errors import ReluscopeError
from reluscope.outputs import printable


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``reluscope`` console script; returns the exit code."""
    try:
        if argv is not None:  # only in-process: a real argv holds no NUL, and no surrogate but an escaped byte
            check_argv(argv)
        app.main(args=argv, prog_name="reluscope", standalone_mode=False)
    except click.exceptions.NoArgsIsHelpError as e:
        click.echo(e.ctx.get_help())
        return 0
    except (ReluscopeError, click.UsageError) as e:
        message = e.format_message() if isinstance(e, click.ClickException) else as_option(str(e), argv)
        say(f"reluscope: error: {' '.join(message.split())}", err=True)
        return 2
    except click.exceptions.Exit as e:
        return e.exit_code
    except click.Abort:
        click.echo("reluscope: aborted", err=True)
        return 130
    return 0


def as_option(message: str, argv: list[str] | None) -> str:
    """The library's line in the command line's words: a line that opens with a setting's name (``n_samples must be
    at least 8``) names the option of the command that set it instead (``--n-samples must be at least 8``)."""
    args = sys.argv[1:] if argv is None else argv
    command = app.commands.get(next((a for a in map(str, args) if not a.startswith("-")), ""))
    first, _, rest = message.partition(" ")
    options = {p.name: p.opts[0] for p in command.params if p.opts[0].startswith("--")} if command else {}
    return f"{options[first]} {rest}" if first in options else message


def check_argv(argv: list[str]) -> None:
    """Refuse an argument that no command line can hold: a NUL, or a character with no bytes (``os.fsencode``)."""
    for a in map(str, argv):
        try:
            if b"\x00" in os.fsencode(a):
                raise ReluscopeError("an argument contains a NUL byte")
        except UnicodeEncodeError:
            raise ReluscopeError(f"the argument {printable(repr(a[:40]))} holds a character no command line "
                                 "can") from None


def run() -> None:
    sys.exit(main())
