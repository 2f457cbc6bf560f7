import { describe, expect, it } from 'vitest';
import { generateApiTypes, readApiTypes } from '../../scripts/console/apiTypes';

describe('the console’s API types', () => {
  it('are generated from the current OpenAPI document (run `npm run console:api` after an API change)', async () => {
    const [generated, committed] = await Promise.all([generateApiTypes(), readApiTypes()]);
    expect(committed.document).toBe(generated.document);
    expect(committed.types).toBe(generated.types);
  });
});
