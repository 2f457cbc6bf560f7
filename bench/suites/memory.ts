import { measureMemory } from '../memory';
import { restingStack, runSuite, scaled } from '../suite';

/**
 * What the local stack keeps per open and per closed complaint (fast profile, SLA targets of days, so
 * nothing escalates while complaints wait; a 1-second follow-up delay, so a closed round ends quickly).
 */
await runSuite(
  {
    profile: restingStack.profile,
    policy: {
      ...restingStack.policy,
      followUp: {
        delaySeconds: 1,
        callSlaSeconds: 86_400,
        maxCallAttempts: 2,
        retryDelaySeconds: 1,
        surveyLinkLifetimeSeconds: 86_400,
      },
    },
  },
  (stack, meter) => measureMemory(stack, meter, scaled(500)),
);
