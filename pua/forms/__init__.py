"""Forms of the PUA app, one module per screen group."""
