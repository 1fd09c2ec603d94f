"""The progress convention: ``Counted`` passes every unit on and tops the count up to a promised total."""

from reluscope.progress import Counted


def test_counted_passes_units_on_and_tops_up_to_the_total():
    told = []
    counted = Counted(told.append)
    counted()
    counted(3)
    assert told == [1, 3] and counted.done == 4
    counted.top_up(10)
    assert told == [1, 3, 6] and sum(told) == counted.done == 10
    counted.top_up(7)  # already past: nothing more, never a negative count
    assert told[-1] == 0 and sum(told) == 10
