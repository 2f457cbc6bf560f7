import { measureLifecycle } from '../lifecycle';
import { runSuite, scaled } from '../suite';

/**
 * The whole lifecycle on the fast profile, with a 1-second follow-up delay and a 15-second first
 * response target (so the one escalated complaint breaches within the run).
 */
await runSuite(
  {
    profile: 'fast',
    policy: {
      sla: {
        targets: {
          low: { firstResponseSeconds: 15, resolutionSeconds: 60 },
          normal: { firstResponseSeconds: 15, resolutionSeconds: 60 },
          high: { firstResponseSeconds: 15, resolutionSeconds: 60 },
          urgent: { firstResponseSeconds: 15, resolutionSeconds: 60 },
        },
      },
      followUp: {
        delaySeconds: 1,
        callSlaSeconds: 60,
        maxCallAttempts: 2,
        retryDelaySeconds: 1,
        surveyLinkLifetimeSeconds: 60,
      },
    },
  },
  (stack, meter) => measureLifecycle(stack, meter, scaled(200), 20),
);
