"""Write side of arrakis-docs: the model turned into files (one writer per output), validation, and the CLI."""
