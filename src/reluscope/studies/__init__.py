"""Studies: many runs composed into one answer (init study, sweeps, the whole sheet), and the analyses of one
trained run written to a directory (its decision cells, its back-projection)."""
