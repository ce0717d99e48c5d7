"""audit-service publishes no events: it consumes every ``arrakis.>`` event (see app.py) into its log."""

from __future__ import annotations

CONSUMED_SUBJECTS = "arrakis.>"
