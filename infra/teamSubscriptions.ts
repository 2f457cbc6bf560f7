import { type AgentRole, agentRoles } from '../functions/core/policy';

/** One email subscription of the team-notification topic: an address and the roles it receives. */
export interface TeamSubscription {
  address: string;
  roles: AgentRole[];
}

/**
 * The subscriptions of the team-notification topic for the addresses listed per role: one per address
 * (SNS keeps one subscription per endpoint and topic), receiving the notifications of every role the
 * address is listed under. The stack deploys them; the local stack subscribes the same way.
 */
export function teamSubscriptions(notifications: Partial<Record<AgentRole, string[]>>): TeamSubscription[] {
  const rolesByAddress = new Map<string, AgentRole[]>();
  for (const role of agentRoles) {
    for (const address of notifications[role] ?? []) {
      const key = address.toLowerCase();
      rolesByAddress.set(key, [...(rolesByAddress.get(key) ?? []), role]);
    }
  }
  return [...rolesByAddress].map(([address, roles]) => ({ address, roles }));
}
