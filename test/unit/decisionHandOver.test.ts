import { describe, expect, it } from 'vitest';
import { handOver } from '../../functions/application/decisionHandOver';
import type { Deps } from '../../functions/application/deps';
import type { Complaint } from '../../functions/core/complaint';
import { ConflictError } from '../../functions/core/errors';

const t0 = new Date('2026-11-23T09:00:00Z');
const agent = { kind: 'agent' as const, id: 'agent-1', role: 'tier1' as const };
const waiting: Complaint = {
  id: 'c1',
  reference: 'CMP-4F7K2Q',
  status: 'awaiting_agent',
  tier: 1,
  priority: 'normal',
  customerEmail: 'ann@example.org',
  subject: 'Late parcel',
  threadToken: 'tok',
  taskToken: 'token-1',
  waitingFor: 'agent',
  createdAt: t0.toISOString(),
  updatedAt: t0.toISOString(),
  version: 3,
};
const escalation = { action: 'escalate' as const, reason: 'billing', by: agent };

/**
 * A store that keeps the last saved complaint (conditional on the version, as DynamoDB's), and a
 * workflow whose SendTaskSuccess can be made to fail and whose history says whether a decision arrived.
 */
function fakes(
  succeed: (token: string, output: Record<string, unknown>) => Promise<void>,
  received: (decisionId: string) => boolean = () => false,
  stored?: { current: Complaint },
) {
  const saved: Complaint[] = [];
  const services = {
    store: {
      save: async (c: Complaint) => {
        if (stored) {
          if (stored.current.version !== c.version - 1) throw new ConflictError('changed by someone else');
          stored.current = c;
        }
        saved.push(c);
      },
    },
    workflow: { succeed, received: async (_execution: string, id: string) => received(id) },
  } as unknown as Pick<Deps, 'store' | 'workflow'>;
  return { services, saved };
}

/** The complaint `deciding` with `decisionId`, left by a hand-over whose process died after accepting it. */
async function acceptedThenCrashed(decisionId: string): Promise<Complaint> {
  const crashed = fakes(async () => {
    throw new Error('process killed');
  });
  await expect(
    handOver(crashed.services, agent, () => t0, waiting, 'agent', escalation, decisionId),
  ).rejects.toThrow('process killed');
  return crashed.saved.at(-1) as Complaint;
}

/** The agent's escalation of the waiting complaint, handed over with `services`; `onAccepted` sees its acceptance. */
const escalateFrom = (
  { services }: ReturnType<typeof fakes>,
  decisionId: string,
  onAccepted: (accepted: Complaint) => void,
) => handOver(services, agent, () => t0, waiting, 'agent', escalation, decisionId, onAccepted);

/** SendTaskSuccess refused: the task is over (completed already, or timed out). */
const over = async () => {
  throw new ConflictError('The workflow has moved on from this task');
};

describe('decision hand-over', () => {
  it('completes a decision whose first hand-over died after the accepting write, when it is delivered again', async () => {
    const deciding = await acceptedThenCrashed('key-1');
    expect(deciding).toMatchObject({ status: 'deciding', pendingDecision: { decisionId: 'key-1' } });

    const calls: [string, Record<string, unknown>][] = [];
    const retry = fakes(async (token, output) => void calls.push([token, output]));
    const result = await handOver(retry.services, agent, () => t0, deciding, 'agent', escalation, 'key-1');
    expect(result).toBe(deciding);
    expect(retry.saved).toEqual([]);
    // The workflow gets the decision's id and action; the reason and the agent stay on the complaint.
    expect(calls).toEqual([['token-1', { action: 'escalate', decisionId: 'key-1' }]]);
  });

  it('a redelivery to a task that is over is accepted when the execution has the decision; another decision is refused', async () => {
    const accepted = fakes(async () => undefined);
    const deciding = await handOver(
      accepted.services,
      agent,
      () => t0,
      waiting,
      'agent',
      escalation,
      'key-2',
    );
    const delivered = fakes(over, (id) => id === 'key-2');
    expect(await handOver(delivered.services, agent, () => t0, deciding, 'agent', escalation, 'key-2')).toBe(
      deciding,
    );
    expect(delivered.saved).toEqual([]);
    await expect(
      handOver(delivered.services, agent, () => t0, deciding, 'agent', escalation, 'key-3'),
    ).rejects.toThrow(ConflictError);
  });

  it('a redelivery to a wait that timed out before the decision reached it is released and refused (409)', async () => {
    const deciding = await acceptedThenCrashed('key-4');
    const timedOut = fakes(over);
    await expect(
      handOver(timedOut.services, agent, () => t0, deciding, 'agent', escalation, 'key-4'),
    ).rejects.toMatchObject({ name: 'ConflictError', details: { complaintStatus: 'awaiting_agent' } });
    expect(timedOut.saved).toMatchObject([{ status: 'awaiting_agent', pendingDecision: undefined }]);
  });

  it('of a request and its twin (a retry, a double click) sent at once, the one whose callback is refused answers as the one that delivered it', async () => {
    const stored = { current: waiting };
    let deliveredId: string | undefined;
    // The twin read the complaint `deciding` and completed the task first: the first request's own
    // SendTaskSuccess is refused as if the task had timed out.
    const first = fakes(over, (id) => id === deliveredId, stored);
    const result = await escalateFrom(first, 'key-5', (c) => {
      deliveredId = c.pendingDecision?.decisionId;
    });
    expect(result).toMatchObject({ status: 'deciding', pendingDecision: { decisionId: 'key-5' } });
    expect(stored.current.status).toBe('deciding');
  });

  it('a request and its twin meeting a wait that timed out: both refused (409), the decision released once', async () => {
    const stored = { current: waiting };
    const first = fakes(over, () => false, stored);
    const twin = fakes(over, () => false, stored);
    let deciding: Complaint | undefined;
    await expect(
      escalateFrom(first, 'key-6', (c) => {
        deciding = c;
      }),
    ).rejects.toThrow(ConflictError);
    // The twin read the complaint while it was deciding: its release loses to the first one's.
    await expect(
      handOver(twin.services, agent, () => t0, deciding as Complaint, 'agent', escalation, 'key-6'),
    ).rejects.toThrow(ConflictError);
    expect(stored.current).toMatchObject({ status: 'awaiting_agent', version: waiting.version + 2 });
    expect([...first.saved, ...twin.saved].filter((c) => c.status === 'awaiting_agent')).toHaveLength(1);
  });
});
