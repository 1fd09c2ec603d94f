"""Stage 7: the command line. Thin: every command parses options and calls the library.

Bad input — a ``ReluscopeError`` from the library or a usage error from the parser — ends with exit code 2
and one line on stderr, never a traceback.
"""

from __future__ import annotations

import sys

import click

from reluscope.cli.app import app, say
from reluscope.errors import ReluscopeError


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``reluscope`` console script; returns the exit code."""
    try:
        if argv is not None and any("\x00" in str(a) for a in argv):  # only in-process: argv cannot hold NUL
            raise ReluscopeError("an argument contains a NUL byte")
        app.main(args=argv, prog_name="reluscope", standalone_mode=False)
    except click.exceptions.NoArgsIsHelpError as e:
        click.echo(e.ctx.get_help())
        return 0
    except (ReluscopeError, click.UsageError) as e:
        message = e.format_message() if isinstance(e, click.ClickException) else str(e)
        say(f"reluscope: error: {' '.join(message.split())}", err=True)
        return 2
    except click.exceptions.Exit as e:
        return e.exit_code
    except click.Abort:
        click.echo("reluscope: aborted", err=True)
        return 130
    return 0


def run() -> None:
    sys.exit(main())
