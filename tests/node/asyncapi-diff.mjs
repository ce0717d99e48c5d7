// Test-only oracle: @asyncapi/diff (pinned in package.json) on two AsyncAPI documents, each parsed and dereferenced
// by @asyncapi/parser first as @asyncapi/diff requires. Arguments: BEFORE AFTER [BEFORE AFTER ...] (JSON files; one
// process for many pairs, since start-up is most of the cost). Output (stdout): JSON {breaking, nonBreaking,
// unclassified} over all pairs, each a list of {action, path}. Exit code 2 when a document does not parse.
import { readFile } from 'node:fs/promises';

const { Parser } = await import('@asyncapi/parser');
const { diff } = await import('@asyncapi/diff');

const parser = new Parser();
async function parse(file) {
  const { document, diagnostics } = await parser.parse(await readFile(file, 'utf8'), { source: file });
  if (!document) {
    process.stderr.write(`${file}: ${JSON.stringify(diagnostics.filter((d) => d.severity === 0))}\n`);
    process.exit(2);
  }
  return document.json();
}

const brief = (changes) => changes.map((c) => ({ action: c.action, path: c.path }));
const found = { breaking: [], nonBreaking: [], unclassified: [] };
const files = process.argv.slice(2);
for (let i = 0; i + 1 < files.length; i += 2) {
  const output = diff(await parse(files[i]), await parse(files[i + 1]), { outputType: 'json' });
  found.breaking.push(...brief(output.breaking()));
  found.nonBreaking.push(...brief(output.nonBreaking()));
  found.unclassified.push(...brief(output.unclassified()));
}
for (const changes of Object.values(found)) {
  changes.sort((a, b) => `${a.path} ${a.action}`.localeCompare(`${b.path} ${b.action}`));
}
process.stdout.write(JSON.stringify(found));
