import { type AgentRole, agentRoles } from '../../functions/core/policy';
import { simulate } from './engine';
import { type SweepPoint, summarise } from './report';
import type { Scenario } from './scenario';

/** `tier1=2..10` → the role and the headcounts to try. */
export function parseSweep(text: string): { role: AgentRole; counts: number[] } {
  const match = /^(\w+)=(\d+)\.\.(\d+)$/.exec(text);
  const role = match?.[1] as AgentRole | undefined;
  const from = Number(match?.[2]);
  const to = Number(match?.[3]);
  if (!match || !role || !agentRoles.includes(role) || from > to) {
    throw new Error(`--sweep ${text}: expected <role>=<from>..<to> with a role of ${agentRoles.join(', ')}`);
  }
  return { role, counts: Array.from({ length: to - from + 1 }, (_, i) => from + i) };
}

/** The scenario once per headcount of `role` (same seed: the same complaints and customers each time). */
export function runSweep(
  scenario: Scenario,
  seed: number,
  role: AgentRole,
  counts: number[],
  onPoint: (point: SweepPoint) => void = () => {},
): SweepPoint[] {
  return counts.map((agents) => {
    const point = { agents, summary: summarise(simulate(scenario, { seed, staffing: { [role]: agents } })) };
    onPoint(point);
    return point;
  });
}
