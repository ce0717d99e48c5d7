"""The Jinja2 templates the writers fill, shipped as package data (no code here)."""
