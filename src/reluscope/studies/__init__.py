"""Studies: many runs composed into one answer, returned as data (the init study, sweeps), and the analyses of
one trained run written to a directory (the run itself with its figure, its decision cells, its back-projection).
The whole sheet as one report is ``reluscope.report.study``."""
