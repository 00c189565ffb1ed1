"""A client of Procore's REST API: the calls cco-unlink needs, and nothing else."""
