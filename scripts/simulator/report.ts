import { type AgentRole, agentRoles, priorities } from '../../functions/core/policy';
import type { SimulationResult, SlaCell } from './engine';
import type { Scenario } from './scenario';
import { type LineChart, lineChartSvg } from './svgChart';
import { type SimulatedCost, simulatedCost } from './usageCost';

/** The figures a manager reads: compliance, paths, utilisation, backlog and cost. */
export interface Summary {
  scenario: string;
  seed: number;
  staffing: Record<AgentRole, number>;
  complaints: number;
  closed: number;
  openAtEnd: number;
  /** Share within target over every complaint that was answered or is overdue. */
  firstResponseCompliance: number;
  resolutionCompliance: number;
  /** Per `tier|priority`: the share within target and how many it counts. */
  firstResponseBy: Record<string, { share: number; count: number }>;
  resolutionBy: Record<string, { share: number; count: number }>;
  escalations: {
    slaBreach: number;
    risk: number;
    agentRequest: number;
    approvalTimeout: number;
    followUpOverdue: number;
  };
  managerAlerts: number;
  resolved: { withinAuthority: number; approved: number };
  approvals: { requested: number; approved: number; rejected: number; peakWaiting: number };
  followUps: {
    callsMade: number;
    satisfied: number;
    unsatisfied: number;
    unreachable: number;
    surveysSent: number;
    closedSatisfied: number;
    closedNoResponse: number;
  };
  infoRequests: { asked: number; reminders: number; abandoned: number };
  peakBacklog: number;
  peakOldestWaitingHours: number;
  utilisation: Record<AgentRole, number>;
  wastedWork: number;
  cost: SimulatedCost;
}

const share = (c: SlaCell) => (c.met + c.missed === 0 ? 1 : c.met / (c.met + c.missed));
const total = (cells: Record<string, SlaCell>) =>
  Object.values(cells).reduce((sum, c) => ({ met: sum.met + c.met, missed: sum.missed + c.missed }), {
    met: 0,
    missed: 0,
  });
const byKey = (cells: Record<string, SlaCell>) =>
  Object.fromEntries(
    Object.entries(cells).map(([k, c]) => [k, { share: round(share(c), 4), count: c.met + c.missed }]),
  );
const round = (n: number, digits: number) => Math.round(n * 10 ** digits) / 10 ** digits;

export function summarise(r: SimulationResult): Summary {
  const p = (key: string) => r.paths[key] ?? 0;
  return {
    scenario: r.scenario,
    seed: r.seed,
    staffing: r.staffing,
    complaints: r.complaints,
    closed: r.closed,
    openAtEnd: r.openAtEnd,
    firstResponseCompliance: round(share(total(r.firstResponse)), 4),
    resolutionCompliance: round(share(total(r.resolution)), 4),
    firstResponseBy: byKey(r.firstResponse),
    resolutionBy: byKey(r.resolution),
    escalations: {
      slaBreach: p('escalation:sla_breach'),
      risk: p('escalation:risk_signal'),
      agentRequest: p('escalation:agent_request'),
      approvalTimeout: p('escalation:approval_timeout'),
      followUpOverdue: p('escalation:follow_up_overdue'),
    },
    managerAlerts: p('managerAlerts'),
    resolved: { withinAuthority: p('resolved:withinAuthority'), approved: p('resolved:approved') },
    approvals: {
      requested: p('state:ApprovalDeadline'),
      approved: p('approvals:approved'),
      rejected: p('approvals:rejected'),
      peakWaiting: Math.max(0, ...r.samples.map((s) => s.approvalsWaiting)),
    },
    followUps: {
      callsMade: p('followUpCall:satisfied') + p('followUpCall:unsatisfied') + p('followUpCall:unreachable'),
      satisfied: p('followUpCall:satisfied'),
      unsatisfied: p('followUpCall:unsatisfied'),
      unreachable: p('followUpCall:unreachable'),
      surveysSent: p('state:SendSurvey'),
      closedSatisfied: p('closed:satisfied'),
      closedNoResponse: p('closed:no_response'),
    },
    infoRequests: {
      asked: p('state:AskCustomer'),
      reminders: p('reminders'),
      abandoned: p('closed:abandoned'),
    },
    peakBacklog: Math.max(0, ...r.samples.map((s) => agentRoles.reduce((n, role) => n + s.queued[role], 0))),
    peakOldestWaitingHours: Math.max(0, ...r.samples.map((s) => s.oldestWaitingHours)),
    utilisation: r.utilisation,
    wastedWork: r.wastedWork,
    cost: simulatedCost(r),
  };
}

const pct = (n: number) => `${(n * 100).toFixed(1)}%`;
const usd = (n: number) => `$${n < 1 ? n.toFixed(4) : n.toFixed(2)}`;

function table(rows: string[][]): string {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  return rows
    .map((r) =>
      r
        .map((cell, i) => cell.padEnd(widths[i] ?? 0))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** The summary as text tables. */
export function summaryTable(s: Summary): string {
  const tiers = ['tier1', 'tier2', 'tier3'];
  const sla = (cells: Summary['firstResponseBy']) => [
    ['', ...priorities],
    ...tiers.map((tier) => [
      tier,
      ...priorities.map((priority) => {
        const c = cells[`${tier}|${priority}`];
        return c ? `${pct(c.share)} (${c.count})` : '-';
      }),
    ]),
  ];
  const staffing = agentRoles.map((r) => `${r} ${s.staffing[r]}`).join(', ');
  return [
    `Scenario ${s.scenario} (seed ${s.seed}), staffing: ${staffing}`,
    `${s.complaints} complaints, ${s.closed} closed, ${s.openAtEnd} open at the end`,
    '',
    `First response within target: ${pct(s.firstResponseCompliance)} (by tier answering and priority)`,
    table(sla(s.firstResponseBy)),
    '',
    `Resolution within target: ${pct(s.resolutionCompliance)} (by tier resolving and priority)`,
    table(sla(s.resolutionBy)),
    '',
    table([
      ['measure', 'value'],
      ['escalations on SLA breach', String(s.escalations.slaBreach)],
      ['escalations on risk / on request', `${s.escalations.risk} / ${s.escalations.agentRequest}`],
      ['manager alerts (breach at tier 3)', String(s.managerAlerts)],
      ['resolved within authority / approved', `${s.resolved.withinAuthority} / ${s.resolved.approved}`],
      [
        'approvals requested / rejected / escalated',
        `${s.approvals.requested} / ${s.approvals.rejected} / ${s.escalations.approvalTimeout}`,
      ],
      ['approvals waiting (peak)', String(s.approvals.peakWaiting)],
      ['follow-up calls made / overdue', `${s.followUps.callsMade} / ${s.escalations.followUpOverdue}`],
      [
        'follow-ups closed satisfied / no response',
        `${s.followUps.closedSatisfied} / ${s.followUps.closedNoResponse}`,
      ],
      [
        'info requests / reminders / abandoned',
        `${s.infoRequests.asked} / ${s.infoRequests.reminders} / ${s.infoRequests.abandoned}`,
      ],
      ['backlog peak (waiting for the team)', String(s.peakBacklog)],
      ['longest wait in a queue (peak, hours)', String(s.peakOldestWaitingHours)],
      ['agent utilisation', agentRoles.map((r) => `${r} ${pct(s.utilisation[r])}`).join(', ')],
      ['work lost to timeouts (409)', String(s.wastedWork)],
      ['AWS cost per complaint', usd(s.cost.perComplaint)],
      ['AWS cost per 30 days at this rate', usd(s.cost.perMonth)],
    ]),
  ].join('\n');
}

/** Backlog over time: complaints waiting per role and the oldest waiting one. */
export function backlogChart(r: SimulationResult): string {
  const start = Date.parse(r.start);
  const days = (at: string) => (Date.parse(at) - start) / 86_400_000;
  const chart: LineChart = {
    title: `Backlog over time: ${r.scenario}`,
    xLabel: 'day of the simulation',
    yLabel: 'complaints',
    series: [
      ...agentRoles
        .filter((role) => r.samples.some((s) => s.queued[role] > 0))
        .map((role) => ({
          name: `${role} queue`,
          points: r.samples.map((s) => [days(s.at), s.queued[role]] as [number, number]),
        })),
      { name: 'open, any status', points: r.samples.map((s) => [days(s.at), s.open] as [number, number]) },
    ],
  };
  return lineChartSvg(chart);
}

export interface SweepPoint {
  agents: number;
  summary: Summary;
}

/** Compliance against the staffing of the swept role, with the target line. */
export function sweepChart(role: AgentRole, points: SweepPoint[], target: Scenario['target']): string {
  return lineChartSvg({
    title: `SLA compliance against ${role} staffing`,
    xLabel: `${role} agents`,
    yLabel: 'share within target (%)',
    yMax: 100,
    xTicks: points.length <= 25 ? points.map((p) => p.agents) : undefined,
    series: [
      {
        name: 'first response',
        points: points.map((p) => [p.agents, p.summary.firstResponseCompliance * 100]),
      },
      { name: 'resolution', points: points.map((p) => [p.agents, p.summary.resolutionCompliance * 100]) },
    ],
    yLine: { value: target.share * 100, label: `target ${pct(target.share)} ${target.metric}` },
  });
}

/** The smallest staffing whose compliance meets the target, if any. */
export function smallestMeeting(points: SweepPoint[], target: Scenario['target']): SweepPoint | undefined {
  const key = target.metric === 'firstResponse' ? 'firstResponseCompliance' : 'resolutionCompliance';
  return [...points].sort((a, b) => a.agents - b.agents).find((p) => p.summary[key] >= target.share);
}
