// Validates Backstage entities with @backstage/catalog-model's own policies and kind validators.
// Input (stdin): JSON array of {file, entity} with every $text already resolved by the caller.
// Output (stdout): JSON array of {file, message}; empty when every entity passes. Exit code 0 unless the input is bad.
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

const {
  DefaultNamespaceEntityPolicy,
  EntityPolicies,
  FieldFormatEntityPolicy,
  NoForeignRootFieldsEntityPolicy,
  SchemaValidEntityPolicy,
  apiEntityV1alpha1Validator,
  componentEntityV1alpha1Validator,
  domainEntityV1alpha1Validator,
  groupEntityV1alpha1Validator,
  locationEntityV1alpha1Validator,
  resourceEntityV1alpha1Validator,
  systemEntityV1alpha1Validator,
  userEntityV1alpha1Validator,
} = await load('@backstage/catalog-model');

// The same order the catalog backend applies them in: schema first, then namespace, root fields, field formats.
const policy = EntityPolicies.allOf([
  new SchemaValidEntityPolicy(),
  new DefaultNamespaceEntityPolicy(),
  new NoForeignRootFieldsEntityPolicy(),
  new FieldFormatEntityPolicy(),
]);

const kindValidators = [
  apiEntityV1alpha1Validator,
  componentEntityV1alpha1Validator,
  domainEntityV1alpha1Validator,
  groupEntityV1alpha1Validator,
  locationEntityV1alpha1Validator,
  resourceEntityV1alpha1Validator,
  systemEntityV1alpha1Validator,
  userEntityV1alpha1Validator,
];

async function check(entity) {
  const enforced = await policy.enforce(entity);
  if (!enforced) {
    return ['rejected by the entity policies'];
  }
  for (const validator of kindValidators) {
    if (await validator.check(enforced)) {
      return [];
    }
  }
  return [`no validator accepts kind ${entity.kind} (${entity.apiVersion})`];
}

async function main() {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  const items = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  const problems = [];
  for (const { file, entity } of items) {
    try {
      for (const message of await check(entity)) problems.push({ file, message });
    } catch (error) {
      problems.push({ file, message: String(error?.message ?? error) });
    }
  }
  process.stdout.write(JSON.stringify(problems));
}

main().catch((error) => {
  process.stderr.write(`${error?.stack ?? error}\n`);
  process.exit(2);
});
