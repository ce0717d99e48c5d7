"""HTTP API of event-gateway, one router per resource."""
