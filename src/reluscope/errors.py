"""The one exception type that means "the user asked for something impossible".

The CLI turns it into exit code 2 and a single line; library callers catch it like any ValueError.
"""


class ReluscopeError(ValueError):
    """Bad input named in one line: an unknown name, an impossible size, a malformed file."""
