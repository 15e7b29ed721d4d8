"""One module per ``mlkpi import`` source; see ``metrics.importers`` for the contract."""
