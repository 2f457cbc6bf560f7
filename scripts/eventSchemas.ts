import { execFileSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { eventJsonSchemas } from '../functions/core/events/jsonSchemas';

/**
 * `npm run events:schemas`: writes the JSON schema of every domain event type from its zod schema
 * (test/unit/domainEvents.test.ts fails while a file differs from what this writes).
 */
const root = fileURLToPath(new URL('..', import.meta.url));
const files = Object.entries(eventJsonSchemas());
for (const [file, text] of files) {
  await mkdir(dirname(join(root, file)), { recursive: true });
  await writeFile(join(root, file), text);
  console.log(file);
}
// In the repository's JSON style, so that `npm run lint` passes.
execFileSync(join(root, 'node_modules/.bin/biome'), ['format', '--write', ...files.map(([f]) => f)], {
  cwd: root,
  stdio: 'inherit',
});
