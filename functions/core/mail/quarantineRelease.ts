import * as z from '../schema';

/**
 * What the API hands the intake function when a manager releases a held mail: the quarantine record's
 * id, nothing else (intake reads the record, so a stale or repeated event files nothing twice).
 */
export const quarantineReleaseEventSchema = z.strictObject({
  quarantineRelease: z.strictObject({ id: z.string().check(z.regex(/^[0-9a-f]{26}$/)) }),
});
export type QuarantineReleaseEvent = z.infer<typeof quarantineReleaseEventSchema>;
