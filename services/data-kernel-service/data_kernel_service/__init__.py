"""data-kernel-service: datasets with a declared schema, validated ingest and declarative transforms."""
