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

/** A store that keeps the last saved complaint, and a workflow whose SendTaskSuccess can be made to fail. */
function fakes(succeed: (token: string, output: Record<string, unknown>) => Promise<void>) {
  const saved: Complaint[] = [];
  const services = {
    store: { save: async (c: Complaint) => void saved.push(c) },
    workflow: { succeed },
  } as unknown as Pick<Deps, 'store' | 'workflow'>;
  return { services, saved };
}

describe('decision hand-over', () => {
  it('completes a decision whose first hand-over died after the accepting write, when it is delivered again', async () => {
    const crashed = fakes(async () => {
      throw new Error('process killed');
    });
    await expect(
      handOver(crashed.services, agent, () => t0, waiting, 'agent', escalation, 'key-1'),
    ).rejects.toThrow('process killed');
    const deciding = crashed.saved.at(-1) as Complaint;
    expect(deciding).toMatchObject({ status: 'deciding', pendingDecision: { decisionId: 'key-1' } });

    const calls: [string, Record<string, unknown>][] = [];
    const retry = fakes(async (token, output) => void calls.push([token, output]));
    const result = await handOver(retry.services, agent, () => t0, deciding, 'agent', escalation, 'key-1');
    expect(result).toBe(deciding);
    expect(retry.saved).toEqual([]);
    // The workflow gets the decision's id and action; the reason and the agent stay on the complaint.
    expect(calls).toEqual([['token-1', { action: 'escalate', decisionId: 'key-1' }]]);
  });

  it('a redelivery to a task that is over is accepted as it stands; another decision is refused', async () => {
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
    const over = fakes(async () => {
      throw new ConflictError('The workflow has moved on from this task');
    });
    expect(await handOver(over.services, agent, () => t0, deciding, 'agent', escalation, 'key-2')).toBe(
      deciding,
    );
    await expect(
      handOver(over.services, agent, () => t0, deciding, 'agent', escalation, 'key-3'),
    ).rejects.toThrow(ConflictError);
  });
});
