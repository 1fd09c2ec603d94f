"""The one exception type that means "the user asked for something impossible".

The CLI turns it into exit code 2 and a single line; library callers catch it like any ValueError.
``refuse_repeats`` and ``refuse_outside`` are the checks every grid (init study, sweep) makes of its axes.
"""


class ReluscopeError(ValueError):
    """Bad input named in one line: an unknown name, an impossible size, a malformed file.

    ``reason``, where a caller may want to say it in its own words (the playground's notes), names the kind of
    problem: ``not_finite`` (non-finite parameters, points or moments: a diverged run), ``not_piecewise`` (an
    activation without cells), ``no_moments`` (an activation without a moment formula), ``ill_conditioned`` (a
    weight matrix too ill-conditioned to invert); None otherwise."""

    def __init__(self, message: str, reason: str | None = None):
        super().__init__(message)
        self.reason = reason

    def __reduce__(self):  # pickled whole, whatever a subclass's __init__ takes: a worker's error reaches its parent
        return _restored, (type(self), self.args, self.__dict__)


def _restored(cls: type, args: tuple, state: dict) -> ReluscopeError:
    """The error ``cls`` with ``args`` and attributes ``state``, made without calling its ``__init__``."""
    error = cls.__new__(cls, *args)
    error.args = args
    error.__dict__.update(state)
    return error


def refuse_repeats(name: str, values) -> None:
    """Raise ``ReluscopeError`` if a grid axis ``name`` lists a value twice (it would run twice, counted twice)."""
    seen = set()
    for v in values:
        if v in seen:
            raise ReluscopeError(f"{name} lists {v!r} twice")
        seen.add(v)


def refuse_outside(name: str, values, ok, bound: str) -> None:
    """Raise ``ReluscopeError`` for the first of a grid axis ``name``'s values for which ``ok(v)`` is false:
    "``name`` must be ``bound``, got ``v``" (a command line names its option: ``cli.as_option``)."""
    for v in values:
        if not ok(v):
            raise ReluscopeError(f"{name} must be {bound}, got {v}")
