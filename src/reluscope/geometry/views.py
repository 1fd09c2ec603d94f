"""The three views of the back-projection (``reluscope.geometry.backproject``), named without loading torch:
``input`` (straight into the plane), ``embedded`` (the plane embedded so that every layer's map is
invertible) and ``nonzero`` (the embedded view's input coordinates)."""

VIEWS = ("input", "embedded", "nonzero")
