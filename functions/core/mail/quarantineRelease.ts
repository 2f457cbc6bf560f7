import { complaintIdPattern } from '../reference';
import * as z from '../schema';

/**
 * What the API hands the intake function when a manager releases a held mail: the quarantine record's
 * id, nothing else (intake reads the record, so a stale or repeated event files nothing twice).
 */
export const quarantineReleaseEventSchema = z.strictObject({
  quarantineRelease: z.strictObject({ id: z.string().check(z.regex(complaintIdPattern)) }),
});
export type QuarantineReleaseEvent = z.infer<typeof quarantineReleaseEventSchema>;

/** How often the schedule sweeps released mail (EventBridge Scheduler on AWS, a timer locally). */
export const releaseSweepIntervalMinutes = 5;

/**
 * What the schedule hands the intake function every five minutes: file the released mail whose
 * hand-over did not arrive (see `sweepReleasedMail`).
 */
export const releaseSweepEventSchema = z.strictObject({ sweep: z.literal('quarantineReleases') });
export type ReleaseSweepEvent = z.infer<typeof releaseSweepEventSchema>;
