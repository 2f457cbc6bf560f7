import * as z from '../schema';
import { eventSchemaOf, eventTypes, schemaVersion } from './domainEvents';

/** Where each event type's JSON schema is kept in the repository (`npm run events:schemas` writes them). */
export const schemaFileOf = (type: string) => `docs/events/schemas/${type}.v${schemaVersion}.json`;

/** The JSON schema (draft 2020-12) of every event type, as its file holds it. */
export function eventJsonSchemas(): Record<string, string> {
  return Object.fromEntries(
    eventTypes.map((type) => {
      const schema = {
        $id: `urn:complaints:events:${type}:v${schemaVersion}`,
        ...z.toJSONSchema(eventSchemaOf(type), { target: 'draft-2020-12', io: 'output' }),
      };
      return [schemaFileOf(type), `${JSON.stringify(schema, null, 2)}\n`];
    }),
  );
}
