import { describe, expect, it } from 'vitest';
import type { AcceptedDecision } from '../../functions/core/complaint';
import { stepInputs, taskOutputOf, taskOutputSchema } from '../../workflows/contract';

const customer = { kind: 'customer' as const, id: 'ann@example.org', email: 'ann@example.org' };
const agent = { kind: 'agent' as const, id: 'agent-1', role: 'tier1' as const };

describe('workflow contract', () => {
  it('hands the workflow ids and routing only, never the decision’s people or texts', () => {
    const decisions: AcceptedDecision[] = [
      { decisionId: 'd1', action: 'request_info', question: 'Which item?', by: agent, awaitSeconds: 60 },
      { decisionId: 'd2', action: 'escalate', reason: 'Needs admin rights', by: agent },
      { decisionId: 'd3', action: 'follow_up', outcome: 'unsatisfied', by: customer, via: 'customer_mail' },
      { decisionId: 'd4', action: 'customer_replied', messageId: '<m1@example.org>' },
    ];
    const outputs = decisions.map((d) => taskOutputOf(d));
    expect(outputs).toEqual([
      { decisionId: 'd1', action: 'request_info', awaitSeconds: 60 },
      { decisionId: 'd2', action: 'escalate' },
      { decisionId: 'd3', action: 'follow_up', outcome: 'unsatisfied' },
      { decisionId: 'd4', action: 'customer_replied' },
    ]);
    for (const output of outputs) expect(taskOutputSchema.parse(output)).toEqual(output);
    expect(JSON.stringify(outputs)).not.toMatch(/example\.org|Which item|admin rights/);
  });

  it('refuses step inputs outside the contract', () => {
    expect(stepInputs.escalate.safeParse({ complaintId: 'c1', cause: 'sla_breach' }).success).toBe(true);
    expect(stepInputs.escalate.safeParse({ complaintId: 'c1', cause: 'boredom' }).success).toBe(false);
    expect(stepInputs.close.safeParse({ complaintId: '', reason: 'agent' }).success).toBe(false);
  });
});
