import {
  GetExecutionHistoryCommand,
  type GetExecutionHistoryCommandOutput,
  SendTaskSuccessCommand,
  SFNClient,
  TaskTimedOut,
} from '@aws-sdk/client-sfn';
import type { APIGatewayProxyEventV2WithJWTAuthorizer } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import type { ComplaintStore, Mailer } from '../../functions/adapters/ports';
import { SfnWorkflowClient } from '../../functions/adapters/workflowClient';
import { getComplaint } from '../../functions/api/complaintRoutes';
import { closeComplaint, proposeResolution } from '../../functions/api/decisionRoutes';
import type { Deps } from '../../functions/application/deps';
import type { Complaint, TimelineEntry } from '../../functions/core/complaint';
import { ConflictError } from '../../functions/core/errors';
import { policyProfiles } from '../../functions/core/policy';

/** In-memory complaint store with the same version semantics as the DynamoDB one. */
function memoryStore(
  initial: Complaint,
): ComplaintStore & { current(): Complaint; entries: TimelineEntry[] } {
  let current = initial;
  const entries: TimelineEntry[] = [];
  const unused = () => {
    throw new Error('not used here');
  };
  return {
    current: () => current,
    entries,
    get: async (id) => (id === current.id ? current : undefined),
    save: async (next, added, condition) => {
      if (next.version - 1 !== current.version) throw new ConflictError('stale');
      if (condition?.taskToken !== undefined && condition.taskToken !== current.taskToken)
        throw new ConflictError('token');
      current = next;
      entries.push(...added);
    },
    create: unused,
    openFromMail: unused,
    reserveReference: unused,
    findIdByReference: unused,
    findIdByThreadToken: unused,
    saveChange: unused,
    saveWithSentMail: unused,
    append: unused,
    appendOnce: unused,
    rewriteTimeline: unused,
    timeline: unused,
    withTimeline: unused,
    queue: unused,
    byCustomer: unused,
    byAssignee: unused,
    recordCategoryOccurrence: unused,
    pseudonymiseCategoryOccurrence: unused,
    findIdByOutbound: unused,
  };
}

const id = 'a'.repeat(26);
const waiting: Complaint = {
  id,
  reference: 'CMP-4F7K2Q',
  status: 'awaiting_agent',
  tier: 1,
  priority: 'normal',
  customerEmail: 'ann@example.org',
  subject: 's',
  threadToken: 't',
  taskToken: 'token-1',
  waitingFor: 'agent',
  createdAt: '2026-11-23T09:00:00Z',
  updatedAt: '2026-11-23T09:00:00Z',
  version: 3,
};

describe('POST /complaints/{id}/resolution when the callback has already timed out', () => {
  /**
   * A tier-1 refund of 40 on version 3 whose SendTaskSuccess Step Functions refuses with TaskTimedOut
   * (the SLA timeout fired a moment earlier, or a twin of the request completed the task first), with
   * the execution's history, newest first, as `history` gives it for the stored complaint.
   */
  const resolveRefused = (
    store: ReturnType<typeof memoryStore>,
    history: () => NonNullable<GetExecutionHistoryCommandOutput['events']>,
  ) => {
    const sfnMock = mockClient(SFNClient);
    sfnMock
      .on(SendTaskSuccessCommand)
      .rejects(new TaskTimedOut({ message: 'Task Timed Out', $metadata: {} }));
    sfnMock.on(GetExecutionHistoryCommand).callsFake(async () => ({ events: history() }));
    const workflow = new SfnWorkflowClient(
      'arn:aws:states:us-east-1:000000000000:stateMachine:X',
      new SFNClient({}),
      5,
    );
    const body = { type: 'refund', amount: 40, summary: 'Refund', rootCause: 'carrier_delay', version: 3 };
    const event = {
      pathParameters: { id },
      headers: {},
      body: JSON.stringify(body),
      isBase64Encoded: false,
    } as unknown as APIGatewayProxyEventV2WithJWTAuthorizer;
    const result = proposeResolution({
      event,
      actor: { kind: 'agent', id: 'agent-1', role: 'tier1' },
      services: {
        store,
        workflow,
        mailer: {} as Mailer,
        notifier: { notify: async () => undefined },
      } as unknown as Deps,
      policy: policyProfiles.standard,
      now: () => new Date('2026-11-23T10:00:00Z'),
    });
    return { result, sfnMock };
  };

  /** The history event of the wait completed with the decision the store's complaint is deciding with. */
  const deliveredTo = (store: ReturnType<typeof memoryStore>) => ({
    id: 12,
    type: 'TaskSucceeded' as const,
    timestamp: new Date('2026-11-23T10:00:00Z'),
    taskSucceededEventDetails: {
      resource: 'invoke.waitForTaskToken',
      resourceType: 'lambda',
      output: JSON.stringify({ action: 'resolve', decisionId: store.current().pendingDecision?.decisionId }),
    },
  });

  it('maps TaskTimedOut to 409, releases the claim and leaves no decision pending', async () => {
    const store = memoryStore(waiting);
    // The wait's timeout, and nothing since that names the decision.
    const { result, sfnMock } = resolveRefused(store, () => [
      { id: 12, type: 'TaskTimedOut', timestamp: new Date('2026-11-23T09:59:58Z') },
      { id: 11, type: 'TaskStarted', timestamp: new Date('2026-11-23T09:00:00Z') },
    ]);
    await expect(result).rejects.toMatchObject({
      name: 'ConflictError',
      details: { complaintStatus: 'awaiting_agent' },
    });
    expect(store.current()).toMatchObject({
      status: 'awaiting_agent',
      version: 5,
      pendingDecision: undefined,
    });
    expect(store.entries.map((e) => (e.kind === 'audit' ? e.action : e.kind))).toEqual([
      'acceptDecision',
      'releaseDecision',
    ]);
    // The history was read for this execution, newest first, and no further than the acceptance: once,
    // and once more a moment later before the decision was released.
    const read = {
      executionArn: `arn:aws:states:us-east-1:000000000000:execution:X:${id}`,
      reverseOrder: true,
      maxResults: 100,
    };
    expect(sfnMock.commandCalls(GetExecutionHistoryCommand).map((c) => c.args[0].input)).toEqual([
      read,
      read,
    ]);
    sfnMock.restore();
  });

  it('answers 202 when the task was completed already by a twin of the request (TaskTimedOut, but the decision is in the history)', async () => {
    const store = memoryStore(waiting);
    const { result, sfnMock } = resolveRefused(store, () => [deliveredTo(store)]);
    expect((await result).statusCode).toBe(202);
    expect(store.current()).toMatchObject({ status: 'deciding', version: 4 });
    sfnMock.restore();
  });

  it('answers 202 when the decision shows in the history only on the second look, a moment later', async () => {
    const store = memoryStore(waiting);
    let reads = 0;
    const { result, sfnMock } = resolveRefused(store, () => (++reads === 1 ? [] : [deliveredTo(store)]));
    expect((await result).statusCode).toBe(202);
    expect(reads).toBe(2);
    expect(store.current()).toMatchObject({ status: 'deciding', version: 4 });
    sfnMock.restore();
  });
});

describe('POST /complaints/{id}/resolution on a complaint whose workflow step failed', () => {
  // AwaitAttention waits for the manager: the tier rule alone would let the complaint's tier decide.
  const attention: Complaint = { ...waiting, status: 'needs_attention', waitingFor: 'attention' };
  const resolve = (role: 'tier1' | 'manager') => {
    const sfnMock = mockClient(SFNClient);
    sfnMock.on(SendTaskSuccessCommand).resolves({});
    const store = memoryStore(attention);
    const workflow = new SfnWorkflowClient(
      'arn:aws:states:us-east-1:000000000000:stateMachine:X',
      new SFNClient({}),
    );
    const event = {
      pathParameters: { id },
      headers: {},
      body: JSON.stringify({ type: 'apology', summary: 'Sorry', rootCause: 'other', version: 3 }),
      isBase64Encoded: false,
    } as unknown as APIGatewayProxyEventV2WithJWTAuthorizer;
    const result = proposeResolution({
      event,
      actor: { kind: 'agent', id: `dev-${role}`, role },
      services: { store, workflow } as unknown as Deps,
      policy: policyProfiles.standard,
      now: () => new Date('2026-11-23T10:00:00Z'),
    });
    return { result, store, sfnMock };
  };

  it('refuses a tier agent (403, the manager required) and hands nothing over', async () => {
    const { result, store, sfnMock } = resolve('tier1');
    await expect(result).rejects.toMatchObject({
      name: 'ForbiddenError',
      details: { requiredRole: 'manager' },
    });
    expect(store.current()).toEqual(attention);
    expect(sfnMock.commandCalls(SendTaskSuccessCommand)).toHaveLength(0);
    sfnMock.restore();
  });

  it('takes the manager’s decision', async () => {
    const { result, store, sfnMock } = resolve('manager');
    expect((await result).statusCode).toBe(202);
    expect(store.current()).toMatchObject({ status: 'deciding', decidingFrom: 'needs_attention' });
    expect(sfnMock.commandCalls(SendTaskSuccessCommand)).toHaveLength(1);
    sfnMock.restore();
  });
});

describe('POST /complaints/{id}/close as a duplicate', () => {
  it('notes the duplicate on its target, as a merge does, and closes on the target as read', async () => {
    const sfnMock = mockClient(SFNClient);
    sfnMock.on(SendTaskSuccessCommand).resolves({});
    const target: Complaint = { ...waiting, id: 'b'.repeat(26), reference: 'CMP-4F7K2R', version: 7 };
    const source = memoryStore(waiting);
    const notes: { complaintId: string; entry: TimelineEntry }[] = [];
    const conditions: unknown[] = [];
    const store = {
      ...source,
      get: async (id: string) => (id === target.id ? target : source.get(id)),
      save: async (...args: Parameters<ComplaintStore['save']>) => {
        conditions.push(args[2]);
        return source.save(...args);
      },
      appendOnce: async (complaintId: string, entry: TimelineEntry) => {
        notes.push({ complaintId, entry });
        return { entry, added: true };
      },
    };
    const event = {
      routeKey: 'POST /complaints/{id}/close',
      pathParameters: { id },
      headers: {},
      body: JSON.stringify({ reason: 'duplicate', mergedInto: target.id, version: 3 }),
      isBase64Encoded: false,
    } as unknown as APIGatewayProxyEventV2WithJWTAuthorizer;
    const result = await closeComplaint({
      event,
      actor: { kind: 'agent', id: 'agent-1', role: 'tier1' },
      services: {
        store,
        workflow: new SfnWorkflowClient(
          'arn:aws:states:us-east-1:000000000000:stateMachine:X',
          new SFNClient({}),
        ),
      } as unknown as Deps,
      policy: policyProfiles.standard,
      now: () => new Date('2026-11-23T10:00:00Z'),
    });
    expect(result.statusCode).toBe(202);
    expect(conditions).toEqual([{ taskToken: 'token-1', unchanged: { id: target.id, version: 7 } }]);
    expect(notes).toEqual([
      {
        complaintId: target.id,
        entry: expect.objectContaining({ id: `${target.id}-merged-${id}`, kind: 'note' }),
      },
    ]);
    sfnMock.restore();
  });
});

describe('POST /complaints/{id}/resolution on a complaint the customer reopened', () => {
  // Resolved once with a refund of 100 by tier 1, reopened, back with the agent.
  const reopened: Complaint = {
    ...waiting,
    priority: 'high',
    reopenCount: 1,
    appliedDecisions: ['d1'],
    appliedTotal: 100,
  };
  const resolve = (
    complaint: Complaint,
    amount: number,
    timeline: TimelineEntry[] = [],
    policy = policyProfiles.standard,
  ) => {
    const sfnMock = mockClient(SFNClient);
    sfnMock.on(SendTaskSuccessCommand).resolves({});
    const store = memoryStore(complaint);
    const reads: string[] = [];
    const event = {
      routeKey: 'POST /complaints/{id}/resolution',
      pathParameters: { id },
      headers: {},
      body: JSON.stringify({
        type: 'refund',
        amount,
        summary: 'Refund',
        rootCause: 'carrier_delay',
        version: 3,
      }),
      isBase64Encoded: false,
    } as unknown as APIGatewayProxyEventV2WithJWTAuthorizer;
    const result = proposeResolution({
      event,
      actor: { kind: 'agent', id: 'agent-1', role: 'tier1' },
      services: {
        store: {
          ...store,
          timeline: async (complaintId: string) => {
            reads.push(complaintId);
            return timeline;
          },
        },
        workflow: new SfnWorkflowClient(
          'arn:aws:states:us-east-1:000000000000:stateMachine:X',
          new SFNClient({}),
        ),
      } as unknown as Deps,
      policy,
      now: () => new Date('2026-11-23T10:00:00Z'),
    });
    const output = () =>
      JSON.parse(sfnMock.commandCalls(SendTaskSuccessCommand)[0]?.args[0].input.output ?? '{}');
    return { result, store, reads, output, sfnMock };
  };

  it('sends a second refund of 100 to tier 2, saying what was applied before (202)', async () => {
    const { result, store, reads, output, sfnMock } = resolve(reopened, 100);
    const answer = await result;
    expect(answer.statusCode).toBe(202);
    expect(output()).toMatchObject({ action: 'request_approval' });
    const proposal = { approverRole: 'tier2', proposerLimit: 100, alreadyApplied: 100 };
    expect(store.current().pendingDecision).toMatchObject({ action: 'request_approval', proposal });
    expect(JSON.parse(answer.body as string)).toMatchObject({
      complaint: { appliedTotal: 100, pendingDecision: { proposal } },
    });
    // The total is on the complaint: no timeline read.
    expect(reads).toEqual([]);
    sfnMock.restore();
  });

  it('applies a refund the limit still covers with what was applied (60 + 40)', async () => {
    const { result, output, sfnMock } = resolve({ ...reopened, appliedTotal: 60 }, 40);
    expect((await result).statusCode).toBe(202);
    expect(output()).toMatchObject({ action: 'resolve' });
    sfnMock.restore();
  });

  it('reads the timeline of a complaint resolved before the total was kept', async () => {
    const { appliedTotal: _, ...legacy } = reopened;
    const applied: TimelineEntry = {
      kind: 'audit',
      id: `${id}-v2`,
      at: '2026-11-16T10:00:00Z',
      action: 'applyResolution',
      actor: { kind: 'agent', id: 'agent-1', role: 'tier1' },
      toStatus: 'resolved',
      version: 2,
      details: { decisionId: 'd1', type: 'refund', amount: 100, currency: 'EUR' },
    };
    const { result, store, reads, sfnMock } = resolve(legacy, 100, [applied]);
    expect((await result).statusCode).toBe(202);
    expect(reads).toEqual([id]);
    expect(store.current().pendingDecision).toMatchObject({
      action: 'request_approval',
      proposal: { approverRole: 'tier2', alreadyApplied: 100 },
    });
    sfnMock.restore();
  });

  it('refuses what no role may approve on the total (403), with the amounts in the problem', async () => {
    const standard = policyProfiles.standard;
    const capped = { ...standard, authority: { ...standard.authority, manager: 20_000 } };
    const paid = { ...reopened, appliedTotal: 19_995 };
    const { result, store, sfnMock } = resolve(paid, 10, [], capped);
    await expect(result).rejects.toMatchObject({
      name: 'OverAuthorityError',
      details: { value: 20_005, amount: 10, alreadyApplied: 19_995, limit: 100 },
    });
    expect(store.current()).toEqual(paid);
    expect(sfnMock.commandCalls(SendTaskSuccessCommand)).toHaveLength(0);
    sfnMock.restore();
  });
});

describe('GET /complaints/{id} shows what the complaint has cost so far', () => {
  const get = async (complaint: Complaint, timeline: TimelineEntry[]) => {
    const answer = await getComplaint({
      event: { pathParameters: { id }, headers: {} } as unknown as APIGatewayProxyEventV2WithJWTAuthorizer,
      actor: { kind: 'agent', id: 'agent-1', role: 'tier1' },
      services: { store: { withTimeline: async () => ({ complaint, timeline }) } } as unknown as Deps,
      policy: policyProfiles.standard,
      now: () => new Date('2026-11-23T10:00:00Z'),
    });
    return JSON.parse(answer.body as string).complaint;
  };

  it('answers the stored total, 0 before any resolution, and derives it for a complaint stored before', async () => {
    expect(await get({ ...waiting, appliedTotal: 140 }, [])).toMatchObject({ appliedTotal: 140 });
    expect(await get(waiting, [])).toMatchObject({ appliedTotal: 0 });
    const applied = (decisionId: string, amount: number): TimelineEntry => ({
      kind: 'audit',
      id: `${id}-${decisionId}`,
      at: '2026-11-16T10:00:00Z',
      action: 'applyResolution',
      actor: { kind: 'agent', id: 'agent-1', role: 'tier1' },
      toStatus: 'resolved',
      version: 2,
      details: { decisionId, type: 'refund', amount, currency: 'EUR' },
    });
    const legacy = { ...waiting, appliedDecisions: ['d1', 'd2'] };
    expect(await get(legacy, [applied('d1', 100), applied('d2', 40.5)])).toMatchObject({
      appliedTotal: 140.5,
    });
  });
});
