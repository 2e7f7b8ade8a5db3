"""fairgrid federation: site nodes, feasibility, Flower apps and dispatch."""
