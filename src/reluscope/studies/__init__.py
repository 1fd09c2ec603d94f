"""Studies: many runs composed into one answer (init study, sweeps, the whole sheet)."""
