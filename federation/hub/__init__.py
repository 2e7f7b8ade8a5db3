"""The hub's side of the federation: connected sites, fan-out of feasibility questions, audit."""
