"""Diagrams: ``definitions`` decides what to draw from the model, ``figures`` holds it, one printer per format prints
it (``mermaid_printer``, ``dot_printer``), chosen through ``printers.printer_for``."""
