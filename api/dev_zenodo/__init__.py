"""A local stand-in for Zenodo's deposit API (`fairgrid dev-zenodo`) for the demo and tests; not Zenodo."""
