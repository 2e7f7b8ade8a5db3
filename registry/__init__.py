"""fairgrid registry: domain model, services and ports for FAIR metadata records."""

__version__ = "0.1.0"
