"""One module per CLI command; each holds the command's logic, ``portal/cli.py`` only declares the interface."""
