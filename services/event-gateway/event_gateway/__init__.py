"""event-gateway: signed webhook delivery of Arrakis events and schema-validated inbound events."""
