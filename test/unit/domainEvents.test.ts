import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import type { EventPublisher, EventUpdates, ReportStore } from '../../functions/adapters/ports';
import {
  type ChangeRecord,
  eventOfRecord,
  publishDomainEvents,
} from '../../functions/application/insights/publishDomainEvents';
import { projectEvents } from '../../functions/application/insights/reports';
import type { AcceptedDecision, AuditEntry, Complaint, Decision } from '../../functions/core/complaint';
import { customerIdOf } from '../../functions/core/customerId';
import type { DomainEvent } from '../../functions/core/events/domainEvents';
import { domainEventOf } from '../../functions/core/events/fromAudit';
import { eventJsonSchemas } from '../../functions/core/events/jsonSchemas';
import { openComplaint } from '../../functions/core/intake';
import type { Investigation } from '../../functions/core/investigation';
import {
  acceptDecision,
  applyResolution,
  awaitPerson,
  close,
  escalate,
  investigate,
  requeue,
  workflowState,
} from '../../functions/core/lifecycle';
import { policyProfiles } from '../../functions/core/policy';

const policy = policyProfiles.standard;
const t0 = new Date('2026-11-23T09:00:00Z');
const at = (minutes: number) => new Date(t0.getTime() + minutes * 60_000);
const agent = { kind: 'agent' as const, id: 'agent-1', role: 'tier1' as const, email: 'agent@x.test' };
const lead = { kind: 'agent' as const, id: 'lead-1', role: 'tier2' as const };
let n = 0;
const accepted = (d: Decision): AcceptedDecision => ({ ...d, decisionId: `d${++n}` });

const found: Investigation = {
  category: 'delivery',
  sentiment: { score: -2, comparative: -0.2, label: 'negative' },
  priority: 'normal',
  riskSignals: [{ signal: 'cancel_intent', evidence: 'I will cancel' }] as Investigation['riskSignals'],
  atRisk: true,
  atRiskReasons: [],
  history: { complaintsInWindow: 1, open: 1 },
  possibleDuplicates: [],
  minimumTier: 2,
};

/** A complaint's audit trail along a path with most event types: opened, risk escalation, proposal... */
function auditTrail(): AuditEntry[] {
  const audits: AuditEntry[] = [];
  const opened = openComplaint({
    id: 'c1',
    reference: 'CMP-4F7K2Q',
    threadToken: 'tok',
    message: {
      kind: 'message',
      id: 'm1',
      at: t0.toISOString(),
      direction: 'inbound',
      from: 'Ann@Example.org',
      to: ['support@x.test'],
      subject: 'Late parcel',
      text: 'Where is it?',
    },
  });
  audits.push(opened.entries[1]);
  let c: Complaint = opened.complaint;
  const step = (r: { complaint: Complaint; audit: AuditEntry }) => {
    audits.push(r.audit);
    c = r.complaint;
  };
  step(investigate(c, found, policy, at(1)));
  step(escalate(c, 'risk_signal', policy, at(2)));
  step(awaitPerson(c, 'tk1', 'agent', workflowState(c, at(3)).awaitSeconds, policy, at(3)));
  const refund = {
    type: 'refund' as const,
    amount: 5000,
    currency: 'EUR',
    summary: 'Refunded to ann@example.org',
    rootCause: 'carrier_delay',
  };
  step(
    acceptDecision(
      c,
      accepted({
        action: 'request_approval',
        proposal: {
          resolution: refund,
          proposedBy: lead,
          proposedAt: at(4).toISOString(),
          proposerLimit: 1000,
          approverRole: 'tier3',
        },
        awaitSeconds: 600,
      }),
      lead,
      at(4),
    ),
  );
  step(awaitPerson(c, 'tk2', 'approval', 600, policy, at(5)));
  step(escalate(c, 'approval_timeout', policy, at(20)));
  step(awaitPerson(c, 'tk3', 'approval', 600, policy, at(21)));
  const boss = { kind: 'agent' as const, id: 'boss', role: 'manager' as const };
  step(
    acceptDecision(
      c,
      accepted({
        action: 'approve',
        resolution: { ...refund, appliedBy: boss, authorityLimit: null },
      }),
      boss,
      at(22),
    ),
  );
  step(applyResolution(c, policy, at(23)));
  step(awaitPerson(c, 'tk4', 'follow_up', 600, policy, at(24)));
  step(
    acceptDecision(
      c,
      accepted({ action: 'follow_up', outcome: 'unsatisfied', by: agent, via: 'call' }),
      agent,
      at(25),
    ),
  );
  step(requeue(c, 'unsatisfied', policy, at(26)));
  step(awaitPerson(c, 'tk5', 'agent', 600, policy, at(27)));
  step(acceptDecision(c, accepted({ action: 'close', reason: 'withdrawn', by: lead }), lead, at(28)));
  step(close(c, 'agent', at(29)));
  return audits;
}

describe('domain events', () => {
  const audits = auditTrail();
  const events = audits.flatMap((a) => domainEventOf('c1', a) ?? []);

  it('records one event per catalogued state change, keyed by its audit entry', () => {
    expect(events.map((e) => e.type)).toEqual([
      'ComplaintOpened',
      'ComplaintEscalated',
      'ResolutionProposed',
      'SlaBreached',
      'ResolutionApproved',
      'ResolutionApplied',
      'FollowUpCompleted',
      'ComplaintReopened',
      'ComplaintClosed',
    ]);
    expect(events.map((e) => e.eventId)).toEqual(
      audits.filter((a) => domainEventOf('c1', a)).map((a) => a.id),
    );
    expect(new Set(events.map((e) => e.eventId)).size).toBe(events.length);
  });

  it('carries ids and business fields only: no address, no free text', () => {
    const text = JSON.stringify(events);
    expect(text).not.toMatch(/@/);
    expect(text).not.toContain('Refunded to');
    expect(text).not.toContain('Late parcel');
    expect(events.every((e) => e.customerId === customerIdOf('ann@example.org'))).toBe(true);
    expect(events.find((e) => e.type === 'ComplaintEscalated')?.data).toEqual({
      cause: 'risk_signal',
      fromTier: 1,
      toTier: 2,
      riskSignals: ['cancel_intent'],
    });
    expect(events.find((e) => e.type === 'ResolutionApplied')).toMatchObject({
      category: 'delivery',
      tier: 2,
      actor: { kind: 'agent', id: 'boss', role: 'manager' },
      data: { resolution: { type: 'refund', amount: 5000, currency: 'EUR', rootCause: 'carrier_delay' } },
    });
  });

  it('are counted into the reports once each, and those that count nowhere are not written at all', async () => {
    const applied: string[] = [];
    const reports = {
      applyAll: async (batch: EventUpdates[]) =>
        batch.map(({ eventId }) => {
          const first = !applied.includes(eventId);
          applied.push(eventId);
          return { counted: first };
        }),
    } as unknown as ReportStore;
    const counted = [];
    for (const e of [...events, ...events]) {
      const [outcome] = await projectEvents({ reports }, [e], t0);
      counted.push(outcome && 'counted' in outcome && outcome.counted);
    }
    const written = events.filter((e) => !['ResolutionProposed', 'ResolutionApproved'].includes(e.type));
    expect(applied).toEqual([...written, ...written].map((e) => e.eventId));
    expect(counted.filter(Boolean)).toHaveLength(written.length);
  });

  it('keeps the customer id of an erased customer', () => {
    expect(customerIdOf('erased-0123456789abcdef@invalid')).toBe('cus-0123456789abcdef');
  });

  it('publishes nothing for changes outside the catalogue or entries without facts', () => {
    const wait = audits.find((a) => a.action === 'awaitPerson') as AuditEntry;
    expect(domainEventOf('c1', wait)).toBeUndefined();
    const { facts: _f, ...old } = audits[0] as AuditEntry;
    expect(domainEventOf('c1', old)).toBeUndefined();
  });

  it('keeps a JSON schema file per event type equal to its zod schema (npm run events:schemas)', async () => {
    for (const [file, text] of Object.entries(eventJsonSchemas())) {
      expect(JSON.parse(await readFile(file, 'utf8')), file).toEqual(JSON.parse(text));
    }
  });
});

describe('publishing from the table stream', () => {
  const audits = auditTrail();
  const records: ChangeRecord[] = audits.map((a, i) => ({
    sequenceNumber: String(100 + i),
    eventName: 'INSERT',
    newImage: { PK: 'COMPLAINT#c1', SK: `TL#${a.at}#${a.id}`, entity: 'timeline', ...a },
  }));

  it('reads only inserted audit items', () => {
    expect(eventOfRecord({ ...(records[0] as ChangeRecord), eventName: 'MODIFY' })).toBeUndefined();
    expect(
      eventOfRecord({
        sequenceNumber: '1',
        eventName: 'INSERT',
        newImage: { PK: 'COMPLAINT#c1', SK: 'META' },
      }),
    ).toBeUndefined();
    expect(eventOfRecord(records[0] as ChangeRecord)?.type).toBe('ComplaintOpened');
  });

  it('reports the first record whose event the bus refused, so the batch resumes there', async () => {
    const published: DomainEvent[] = [];
    const refusing = (refuse: string): EventPublisher => ({
      publish: async (events) => {
        published.push(...events.filter((e) => e.type !== refuse));
        return { failed: events.filter((e) => e.type === refuse) };
      },
    });
    expect(await publishDomainEvents({ bus: refusing('none') }, records)).toBeUndefined();
    const firstFailed = await publishDomainEvents({ bus: refusing('SlaBreached') }, records);
    const breach = audits.findIndex(
      (a) => a.action === 'escalate' && a.details?.cause === 'approval_timeout',
    );
    expect(firstFailed).toBe(String(100 + breach));
  });
});
