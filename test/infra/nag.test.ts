import { App, Stack, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildFastStack } from './fastApp';

// Verifies that the stack passes cdk-nag AwsSolutions (the check `cdk synth` runs as a validation plugin)
// and that every finding it accepts is acknowledged on the one resource concerned, with a reason.
let app: App;

beforeAll(() => {
  app = buildFastStack().app;
});

interface Acknowledgment {
  path: string;
  id: string;
  reason: unknown;
  holder: IConstruct;
}

function acknowledgments(root: IConstruct): Acknowledgment[] {
  return root.node.findAll().flatMap((construct) =>
    construct.node.metadata
      .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((entry) =>
        Object.entries(entry.data as Record<string, unknown>).map(([id, reason]) => ({
          path: construct.node.path,
          id,
          reason,
          holder: construct,
        })),
      ),
  );
}

describe('cdk-nag AwsSolutions', () => {
  it('reports no unacknowledged error or warning', () => {
    const report = new AwsSolutionsChecks().validateScope(app);
    const findings = report.violations.map(
      (v) => `${v.severity} ${v.ruleName}: ${v.violatingResources.map((r) => r.constructPath).join(', ')}`,
    );
    expect(findings).toEqual([]);
    expect(report.success).toBe(true);
  });

  it('acknowledges only findings that exist: every acknowledgment suppresses one', () => {
    // cdk-nag asks whether a finding is acknowledged only for findings it raised: record those answers.
    const pack = new AwsSolutionsChecks();
    const checks = pack as unknown as { isAcknowledged(resource: IConstruct, ruleId: string): boolean };
    const isAcknowledged = checks.isAcknowledged.bind(pack);
    const suppressed = new Set<string>();
    checks.isAcknowledged = (resource, ruleId) => {
      for (let scope: IConstruct | undefined = resource; scope; scope = scope.node.scope) {
        suppressed.add(`${scope.node.path} ${ruleId}`);
      }
      return isAcknowledged(resource, ruleId);
    };
    pack.validateScope(app);
    const unused = acknowledgments(app)
      // Acknowledgments are recorded qualified (`Annotation::AwsSolutions-…`); cdk-nag asks unqualified.
      .map((ack) => `${ack.path} ${ack.id.replace(/^annotation::/i, '')}`)
      .filter((ack) => !suppressed.has(ack));
    expect(unused).toEqual([]);
  });

  it('acknowledges findings only on individual resources, each with a concrete reason', () => {
    const acks = acknowledgments(app);
    expect(acks.length).toBeGreaterThan(0);
    for (const ack of acks) {
      expect(ack.id, ack.path).toMatch(/AwsSolutions-[A-Z]+\d+/);
      expect(typeof ack.reason === 'string' && ack.reason.length >= 30, `${ack.path} ${ack.id}`).toBe(true);
      // Never app- or stack-wide: an acknowledgment must not hide the same finding on other resources.
      expect(ack.holder instanceof App || Stack.isStack(ack.holder), `${ack.path} ${ack.id}`).toBe(false);
    }
  });
});
