// Validates AsyncAPI documents with @asyncapi/parser (pinned in package.json), the parser AsyncAPI's own tools use.
// Arguments: the document files. Output (stdout): JSON array of {file, line, severity, code, message} for every
// diagnostic; severity 0 is an error. Exit code 0 unless a file cannot be read.
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

// This script may live in a Python site-packages folder, far from any node_modules: arrakis-docs passes the folder
// that holds the package in ARRAKIS_DOCS_NODE_MODULES_DIR, and the package is resolved from there.
async function load(name) {
  const modules = process.env.ARRAKIS_DOCS_NODE_MODULES_DIR;
  const target = modules ? pathToFileURL(createRequire(join(modules, 'resolve.js')).resolve(name)).href : name;
  const loaded = await import(target);
  return { ...(loaded.default ?? {}), ...loaded };
}

const { Parser } = await load('@asyncapi/parser');

const parser = new Parser();
const found = [];
for (const file of process.argv.slice(2)) {
  const text = await readFile(file, 'utf8');
  const { diagnostics } = await parser.parse(text, { source: file });
  for (const d of diagnostics) {
    found.push({
      file,
      line: (d.range?.start?.line ?? -1) + 1,
      severity: d.severity,
      code: String(d.code ?? ''),
      message: `${d.message} (${(d.path || []).join('.')})`,
    });
  }
}
process.stdout.write(JSON.stringify(found));
