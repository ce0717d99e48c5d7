// A real Backstage catalog backend for tests/test_backstage_ingest.py: backend-defaults plus the catalog plugin,
// configured entirely by the --config files the test writes (port, PostgreSQL connection and database prefix,
// catalog.locations).
import { createBackend } from '@backstage/backend-defaults';

const backend = createBackend();
backend.add(import('@backstage/plugin-catalog-backend'));
await backend.start();
// The test reads this line to know the catalog answers.
console.log('arrakis-docs: catalog backend started');
