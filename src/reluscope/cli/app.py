"""The click group every command module registers on; kept apart so commands import no cycle."""

import click


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(package_name="reluscope")
def app() -> None:
    """Why deep ReLU networks need the right initialisation, and what each layer does to the input plane."""
