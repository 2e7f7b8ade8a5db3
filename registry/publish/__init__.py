"""Publishing registry records to Zenodo: client, journal, publisher (Z2); metadata and packages (Z3)."""
