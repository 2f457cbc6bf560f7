import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { complaintCategories } from '../../functions/core/investigation';
import { policyProfiles } from '../../functions/core/policy';
import { complaintMail, Triage } from '../../scripts/simulator/complaintMail';
import { simulate } from '../../scripts/simulator/engine';
import { smallestMeeting, summarise, sweepChart } from '../../scripts/simulator/report';
import {
  parseScenario,
  type Scenario,
  ScenarioError,
  type scenarioSchema,
} from '../../scripts/simulator/scenario';
import { lineChartSvg, niceTicks } from '../../scripts/simulator/svgChart';
import { parseSweep, runSweep } from '../../scripts/simulator/sweep';
import { passParameters, ruleMatches, storedWorkflowGraph } from '../../scripts/simulator/workflowGraph';

type ScenarioInput = z.input<typeof scenarioSchema>;

const example = (name: string) =>
  JSON.parse(
    readFileSync(new URL(`../../scripts/simulator/scenarios/${name}.json`, import.meta.url), 'utf8'),
  ) as Record<string, unknown>;

/** The retailer scenario cut down to a few days and a few hundred complaints (fast enough for unit tests). */
function smallScenario(overrides: Partial<Scenario> = {}): Scenario {
  const base = parseScenario(example('mid-size-retailer'));
  return { ...base, days: 3, arrivals: { ...base.arrivals, perDay: 120 }, ...overrides };
}

describe('scenario schema', () => {
  it('accepts the example scenarios', () => {
    for (const name of ['mid-size-retailer', 'stack-comparison', 'large-contact-centre']) {
      expect(() => parseScenario(example(name)), name).not.toThrow();
    }
  });

  it('reports one problem per mistake, each with its JSON path, policy overrides included', () => {
    const input = structuredClone(example('mid-size-retailer')) as ScenarioInput;
    const shift = input.staffing[0]?.shifts[0];
    if (!shift) throw new Error('the example has no shift');
    input.days = 0;
    input.arrivals.hourly = [1, 2, 3];
    input.mix.risk.rate = 1.5;
    input.mix.categories = { delivery: 0 };
    shift.end = '07:00';
    input.handling.decision = { kind: 'lognormal', median: '8 minutes', sigma: 0.5 };
    input.policy = { profile: 'standard', overrides: { authority: { tier1: -5 } } };
    Object.assign(input, { surprise: true });
    let error: unknown;
    try {
      parseScenario(input);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ScenarioError);
    const paths = (error as ScenarioError).problems.map((p) => p.path).sort();
    expect(paths).toEqual(
      [
        '$',
        '$.arrivals.hourly',
        '$.days',
        '$.handling.decision.median',
        '$.mix.categories',
        '$.mix.risk.rate',
        '$.policy.overrides.authority.tier1',
        '$.staffing[0].shifts[0].end',
      ].sort(),
    );
  });

  it('names the key of a policy override the policy rejects', () => {
    const input = structuredClone(example('mid-size-retailer')) as ScenarioInput;
    input.policy = { profile: 'standard', overrides: { followUp: { maxCallAttempts: 0 } } };
    expect(() => parseScenario(input)).toThrow(/\$\.policy\.overrides\.followUp\.maxCallAttempts: /);
  });
});

describe('simulated mail', () => {
  it('is triaged into the category it was written for', () => {
    const triage = new Triage(policyProfiles.standard);
    const now = new Date('2026-03-02T10:00:00Z');
    for (const category of complaintCategories) {
      expect(triage.of(category, 'neutral', undefined, now).category).toBe(category);
    }
    expect(triage.of('delivery', 'mild', undefined, now).priority).toBe('low');
    expect(triage.of('delivery', 'angry', undefined, now).priority).toBe('high');
    expect(triage.of('delivery', 'neutral', 'legal_threat', now)).toMatchObject({
      priority: 'urgent',
      minimumTier: 3,
    });
    expect(complaintMail('billing', 'neutral', 'cancel_intent').text).toContain('cancel my subscription');
  });
});

describe('workflow graph', () => {
  const graph = storedWorkflowGraph();

  it('routes a decision as the definition does', () => {
    const route = graph.states.RouteDecision;
    if (route?.type !== 'Choice') throw new Error('RouteDecision is not a Choice');
    const next = (action: string) =>
      route.choices.find((rule) => ruleMatches(rule, { decision: { action } }))?.next ?? route.default;
    expect(next('resolve')).toBe('ApplyResolution');
    expect(next('request_approval')).toBe('ApprovalDeadline');
    expect(next('nonsense')).toBe('UnknownDecision');
  });

  it('reads Pass parameters from the state', () => {
    expect(
      passParameters(
        { 'awaitSeconds.$': '$.decision.awaitSeconds', fixed: 1 },
        { decision: { awaitSeconds: 9 } },
      ),
    ).toEqual({ awaitSeconds: 9, fixed: 1 });
  });
});

describe('simulation', () => {
  it('is deterministic for a seed: the same seed gives the same JSON, another seed another', () => {
    const scenario = smallScenario();
    const first = JSON.stringify(simulate(scenario, { seed: 3 }));
    expect(JSON.stringify(simulate(scenario, { seed: 3 }))).toBe(first);
    expect(JSON.stringify(simulate(scenario, { seed: 4 }))).not.toBe(first);
  });

  it('takes every complaint through the workflow and accounts for each one', () => {
    const r = simulate(smallScenario());
    expect(r.complaints).toBeGreaterThan(200);
    expect(r.closed + r.openAtEnd).toBe(r.complaints);
    expect(r.paths['state:AcknowledgeAndInvestigate']).toBe(r.complaints);
    // Every resolution applied went through the authority check: within the limit or approved.
    expect(r.paths['state:ApplyResolution']).toBe(
      (r.paths['resolved:withinAuthority'] ?? 0) + (r.paths['resolved:approved'] ?? 0),
    );
    // Refunds above tier 1's limit of 100 waited for a tier-2 (or higher) approval.
    expect(r.paths['proposals:tier2']).toBeGreaterThan(0);
    expect(r.paths['escalation:risk_signal']).toBeGreaterThan(0);
    expect(r.samples).toHaveLength(3 * 24 + 1);
  });

  it('breaches and escalates without staff, and answers on time with enough', () => {
    const scenario = smallScenario();
    const none = summarise(simulate(scenario, { staffing: { tier1: 0 } }));
    const plenty = summarise(simulate(scenario, { staffing: { tier1: 30 } }));
    expect(none.escalations.slaBreach).toBeGreaterThan(0);
    expect(none.firstResponseBy['tier1|normal']).toBeUndefined();
    expect(plenty.firstResponseCompliance).toBeGreaterThan(none.firstResponseCompliance);
    expect(plenty.firstResponseBy['tier1|normal']?.share).toBeGreaterThan(0.9);
    expect(plenty.utilisation.tier1).toBeLessThan(none.utilisation.tier1 || 1);
  });

  it('costs money per complaint', () => {
    const s = summarise(simulate(smallScenario()));
    expect(s.cost.perComplaint).toBeGreaterThan(0);
    expect(s.cost.perMonth).toBeCloseTo((s.cost.perComplaint * s.complaints * 30) / 3, 6);
  });
});

describe('sweep', () => {
  it('parses <role>=<from>..<to>', () => {
    expect(parseSweep('tier1=2..5')).toEqual({ role: 'tier1', counts: [2, 3, 4, 5] });
    expect(() => parseSweep('tier9=2..5')).toThrow(/expected <role>=<from>\.\.<to>/);
    expect(() => parseSweep('tier1=5..2')).toThrow();
  });

  it('finds the smallest staffing that meets the target', () => {
    const scenario = smallScenario();
    const points = runSweep(scenario, 1, 'tier1', [1, 4, 12]);
    const target = {
      metric: 'firstResponse' as const,
      share: points[1]?.summary.firstResponseCompliance ?? 1,
    };
    expect(smallestMeeting(points, target)?.agents).toBeLessThanOrEqual(4);
    expect(smallestMeeting(points, { metric: 'firstResponse', share: 1.01 })).toBeUndefined();
    expect(sweepChart('tier1', points, target)).toContain('<svg');
  });
});

describe('SVG line chart', () => {
  it('draws each series as a path with a legend, escaping text', () => {
    const svg = lineChartSvg({
      title: 'A <b> & c',
      xLabel: 'x',
      yLabel: 'y',
      series: [
        {
          name: 'one',
          points: [
            [0, 0],
            [1, 5],
            [2, 10],
          ],
        },
        {
          name: 'two',
          points: [
            [0, 3],
            [2, 1],
          ],
        },
      ],
      yLine: { value: 8, label: 'target' },
    });
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.match(/<path /g)).toHaveLength(2);
    expect(svg).toContain('A &lt;b&gt; &amp; c');
    expect(svg).toContain('>target</text>');
    expect(svg).toContain('M60.0 310.0');
  });

  it('picks round ticks', () => {
    expect(niceTicks(10)).toEqual([0, 2, 4, 6, 8, 10]);
    expect(niceTicks(95)).toEqual([0, 20, 40, 60, 80, 100]);
    expect(niceTicks(0)).toEqual([0]);
  });
});
