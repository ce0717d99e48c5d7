"""Shared library of the Arrakis services."""
