"""Read side of arrakis-docs: each module reads one kind of source and returns model objects; none writes files."""
