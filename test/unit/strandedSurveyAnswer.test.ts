import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import type { ComplaintStore, WorkflowClient } from '../../functions/adapters/ports';
import { answerSurvey } from '../../functions/api/surveyRoute';
import type { Deps } from '../../functions/application/deps';
import { signSurveyToken } from '../../functions/application/surveyLinks';
import type { Complaint, TimelineEntry } from '../../functions/core/complaint';
import { ConflictError } from '../../functions/core/errors';
import { acceptDecision, releaseDecision } from '../../functions/core/lifecycle';
import { createHandler as createClose } from '../../functions/handlers/workflow/close';
import { testSettings } from '../support/settings';

/**
 * A survey answer accepted (its accepting write committed) whose hand-over died before SendTaskSuccess:
 * nobody delivers it again (the customer who posts again is told the answer is recorded), so the
 * survey wait times out into CloseNoResponse with the complaint `deciding`. That close must not leave
 * it so: no step of any execution would ever move it again.
 */
const id = 'b'.repeat(26);
const sentAt = new Date('2026-11-09T10:00:00Z');
const expired = new Date('2026-11-23T10:00:01Z');
const surveyed: Complaint = {
  id,
  reference: 'CMP-4F7K2Q',
  status: 'awaiting_follow_up',
  tier: 1,
  priority: 'normal',
  customerEmail: 'ann@example.org',
  subject: 's',
  threadToken: 't',
  taskToken: 'survey-token',
  waitingFor: 'survey',
  waitingSince: sentAt.toISOString(),
  slaDueAt: '2026-11-23T10:00:00.000Z',
  followUp: {
    agentId: 'agent-1',
    scheduledFor: '2026-11-05T10:00:00Z',
    attempts: 3,
    surveySentAt: sentAt.toISOString(),
  },
  createdAt: '2026-11-02T09:00:00Z',
  updatedAt: sentAt.toISOString(),
  version: 12,
};

function stranded(outcome: 'satisfied' | 'unsatisfied'): Complaint {
  const customer = { kind: 'customer' as const, id: surveyed.customerEmail, email: surveyed.customerEmail };
  return acceptDecision(
    surveyed,
    { action: 'follow_up', outcome, by: customer, via: 'survey', decisionId: 'survey-answer' },
    customer,
    new Date('2026-11-10T08:00:00Z'),
  ).complaint;
}

function closeStep(initial: Complaint, reason: 'no_response' | 'abandoned' = 'no_response') {
  let current = initial;
  const entries: TimelineEntry[] = [];
  const store = {
    get: async () => current,
    save: async (next: Complaint, added: TimelineEntry[]) => {
      if (next.version - 1 !== current.version) throw new ConflictError('stale');
      current = next;
      entries.push(...added);
    },
    saveChange: async () => ({ saved: false, current }),
  } as unknown as ComplaintStore;
  const deps = {
    store,
    settings: testSettings(),
    clock: () => expired,
    logger: { info: () => undefined, warn: () => undefined, error: () => undefined },
  } as unknown as Deps;
  const run = () => createClose(deps)({ complaintId: id, reason });
  return { run, current: () => current, entries };
}

describe('CloseNoResponse meeting a survey answer whose hand-over died', () => {
  it('closes with a satisfied answer as satisfied', async () => {
    const step = closeStep(stranded('satisfied'));
    await expect(step.run()).resolves.toMatchObject({ status: 'closed', reason: 'satisfied' });
    expect(step.current()).toMatchObject({
      status: 'closed',
      closure: { reason: 'satisfied' },
      followUp: { lastOutcome: 'satisfied' },
      pendingDecision: undefined,
    });
  });

  it('fails the step with an unsatisfied answer, for the manager (RecordFailure), rather than close it', async () => {
    const step = closeStep(stranded('unsatisfied'));
    await expect(step.run()).rejects.toMatchObject({ name: 'InvalidTransitionError' });
    expect(step.current().status).toBe('deciding');
  });

  it('still closes an unanswered survey as no_response, and a replay does nothing more', async () => {
    const step = closeStep(surveyed);
    await expect(step.run()).resolves.toMatchObject({ status: 'closed', reason: 'no_response' });
    await expect(step.run()).resolves.toMatchObject({ status: 'closed', reason: 'no_response' });
    expect(step.entries).toHaveLength(1);
  });

  it('waits out an answer still being handed over (the step retries ComplaintBusyError)', async () => {
    const answered = acceptDecision(
      surveyed,
      {
        action: 'follow_up',
        outcome: 'unsatisfied',
        by: { kind: 'customer', id: surveyed.customerEmail, email: surveyed.customerEmail },
        via: 'survey',
        decisionId: 'survey-answer',
      },
      { kind: 'customer', id: surveyed.customerEmail, email: surveyed.customerEmail },
      new Date(expired.getTime() - 5_000),
    ).complaint;
    await expect(closeStep(answered).run()).rejects.toMatchObject({ name: 'ComplaintBusyError' });
  });
});

describe('a timeout close meeting the answer its wait was released from', () => {
  // The answer was accepted as the wait timed out: SendTaskSuccess failed (TaskTimedOut), the API (or
  // intake) released the answer, and the complaint waits with no live token for an execution that ends.
  const customer = { kind: 'customer' as const, id: surveyed.customerEmail, email: surveyed.customerEmail };
  const at = new Date(expired.getTime() - 2_000);

  it('fails CloseNoResponse into RecordFailure rather than end with the complaint waiting for nothing', async () => {
    const accepted = acceptDecision(
      surveyed,
      { action: 'follow_up', outcome: 'unsatisfied', by: customer, via: 'survey', decisionId: 'a1' },
      customer,
      at,
    ).complaint;
    const released = releaseDecision(accepted, customer, at).complaint;
    expect(released).toMatchObject({ status: 'awaiting_follow_up', taskToken: undefined });
    await expect(closeStep(released).run()).rejects.toMatchObject({ name: 'InvalidTransitionError' });
  });

  it('fails CloseAbandoned into RecordFailure when the customer’s reply was released', async () => {
    const waitingForCustomer: Complaint = {
      ...surveyed,
      status: 'awaiting_customer',
      waitingFor: 'customer',
      taskToken: 'customer-token',
      followUp: undefined,
    };
    const accepted = acceptDecision(
      waitingForCustomer,
      { action: 'customer_replied', decisionId: 'reply-m1' },
      customer,
      at,
    ).complaint;
    const released = releaseDecision(accepted, customer, at).complaint;
    expect(released).toMatchObject({ status: 'awaiting_customer', taskToken: undefined });
    await expect(closeStep(released, 'abandoned').run()).rejects.toMatchObject({
      name: 'InvalidTransitionError',
    });
  });
});

describe('POST /survey/{token} again after the first post died before the hand-over', () => {
  it('hands the same answer over, instead of answering that it is recorded and leaving it stranded', async () => {
    let current = surveyed;
    const delivered: string[] = [];
    let succeedFaults = 1;
    const store = {
      get: async () => current,
      save: async (next: Complaint, _added: TimelineEntry[], condition?: { taskToken?: string }) => {
        if (next.version - 1 !== current.version) throw new ConflictError('stale');
        if (condition?.taskToken !== undefined && condition.taskToken !== current.taskToken)
          throw new ConflictError('token');
        current = next;
      },
    } as unknown as ComplaintStore;
    const workflow = {
      succeed: async (token: string) => {
        if (succeedFaults-- > 0) throw new Error('socket hang up');
        delivered.push(token);
      },
    } as unknown as WorkflowClient;
    const key = new TextEncoder().encode('k'.repeat(32));
    const token = await signSurveyToken(key, id, new Date(Date.now() + 86_400_000), sentAt.toISOString());
    const services = { store, workflow, signingKey: async () => key } as unknown as Deps;
    const post = () =>
      answerSurvey(
        {
          pathParameters: { token },
          body: 'answer=unsatisfied',
          isBase64Encoded: false,
        } as unknown as APIGatewayProxyEventV2,
        services,
        () => new Date('2026-11-10T08:00:00Z'),
      );
    await expect(post()).rejects.toThrow('socket hang up');
    expect(current.status).toBe('deciding');
    const again = await post();
    expect(again.body).toContain('already have your answer');
    expect(delivered).toEqual(['survey-token']);
  });
});
