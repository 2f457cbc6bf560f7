import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { eventJsonSchemas } from '../functions/core/events/jsonSchemas';

/**
 * `npm run events:schemas`: writes the JSON schema of every domain event type from its zod schema
 * (test/unit/domainEvents.test.ts fails while a file differs from what this writes).
 */
const root = fileURLToPath(new URL('..', import.meta.url));
for (const [file, text] of Object.entries(eventJsonSchemas())) {
  await mkdir(dirname(join(root, file)), { recursive: true });
  await writeFile(join(root, file), text);
  console.log(file);
}
