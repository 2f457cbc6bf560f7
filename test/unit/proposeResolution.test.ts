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
    // The history was read for this execution, newest first, and no further than the acceptance.
    expect(sfnMock.commandCalls(GetExecutionHistoryCommand).map((c) => c.args[0].input)).toEqual([
      {
        executionArn: `arn:aws:states:us-east-1:000000000000:execution:X:${id}`,
        reverseOrder: true,
        maxResults: 100,
      },
    ]);
    sfnMock.restore();
  });

  it('answers 202 when the task was completed already by a twin of the request (TaskTimedOut, but the decision is in the history)', async () => {
    const store = memoryStore(waiting);
    const { result, sfnMock } = resolveRefused(store, () => [
      {
        id: 12,
        type: 'TaskSucceeded',
        timestamp: new Date('2026-11-23T10:00:00Z'),
        taskSucceededEventDetails: {
          resource: 'invoke.waitForTaskToken',
          resourceType: 'lambda',
          output: JSON.stringify({
            action: 'resolve',
            decisionId: store.current().pendingDecision?.decisionId,
          }),
        },
      },
    ]);
    expect((await result).statusCode).toBe(202);
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
