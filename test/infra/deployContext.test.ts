import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { isPlaceholderDomain, readAppContext, repoRoot } from '../../infra/appContext';
import { buildFastStack } from './fastApp';

// Verifies what a deployment needs from its context: production refuses placeholders and alerts that
// reach nobody, with one line naming the key to set; notifications reach the addresses of each role.
const production = {
  deployProfile: 'production',
  mailDomain: 'complaints.acme-retail.eu',
  senderAddress: 'support@complaints.acme-retail.eu',
  policyProfile: 'standard',
  notifications: { manager: ['ops@acme-retail.eu'] },
};
const contextOf = (context: Record<string, unknown>) => readAppContext(new App({ context }).node);

describe('deployment profiles', () => {
  it('knows the RFC 2606 / RFC 6761 placeholder names', () => {
    for (const name of [
      'example.com',
      'mail.example.org',
      'example.net',
      'shop.example',
      'a.test',
      'x.invalid',
    ]) {
      expect(isPlaceholderDomain(name), name).toBe(true);
    }
    expect(isPlaceholderDomain('localhost')).toBe(true);
    expect(isPlaceholderDomain('acme-retail.eu')).toBe(false);
    expect(isPlaceholderDomain('example.com.au')).toBe(false);
  });

  it('production refuses a placeholder domain with one line naming the key to set', () => {
    expect(() => contextOf({ ...production, mailDomain: 'example.com' })).toThrow(
      /^context mailDomain "example\.com" is a placeholder: set -c mailDomain=<your domain>$/,
    );
    expect(() => contextOf({ ...production, senderAddress: 'support@shop.test' })).toThrow(
      /^context senderAddress "support@shop\.test" is a placeholder/,
    );
    expect(() => contextOf({ ...production, notifications: { manager: ['boss@example.org'] } })).toThrow(
      /^context notifications\.manager "boss@example\.org" is a placeholder/,
    );
  });

  it('production requires manager subscriptions', () => {
    expect(() => contextOf({ ...production, notifications: { tier3: ['t3@acme-retail.eu'] } })).toThrow(
      /^context notifications\.manager is empty/,
    );
  });

  it('production accepts real names; development keeps placeholders with warnings', () => {
    expect(contextOf(production).warnings).toEqual([]);
    const development = contextOf({ ...production, deployProfile: undefined, mailDomain: 'example.com' });
    expect(development.deployProfile).toBe('development');
    expect(development.warnings).toEqual([expect.stringMatching(/^context mailDomain "example\.com"/)]);
  });

  it('names the key of a malformed or unknown notifications entry, also given as JSON with -c', () => {
    expect(() => contextOf({ ...production, notifications: '{"managr":["ops@acme-retail.eu"]}' })).toThrow(
      /notifications: Unrecognized key.*managr/,
    );
    expect(() => contextOf({ ...production, notifications: { manager: ['not an address'] } })).toThrow(
      /notifications\.manager\.0/,
    );
    expect(() => contextOf({ ...production, deployProfile: 'prod' })).toThrow(/deployProfile/);
    expect(
      contextOf({ ...production, notifications: JSON.stringify(production.notifications) }),
    ).toMatchObject({
      notifications: production.notifications,
    });
  });

  it('warns in the synth of a development deployment with placeholders', () => {
    const { stack } = buildFastStack();
    const warnings = stack.node.metadata
      .filter((m) => m.type === 'aws:cdk:warning')
      .map((m) => String(m.data));
    expect(warnings).toEqual(
      expect.arrayContaining([
        expect.stringContaining('context mailDomain "example.com" is a placeholder'),
        expect.stringContaining('context notifications.manager is empty'),
      ]),
    );
  });

  it('makes the cdk app print one line and exit non-zero (no stack trace)', () => {
    const outdir = mkdtempSync(join(tmpdir(), 'cdk-out-'));
    const run = spawnSync('npx', ['tsx', 'infra/app.ts'], {
      cwd: repoRoot,
      encoding: 'utf8',
      env: {
        ...process.env,
        CDK_CONTEXT_JSON: JSON.stringify({ ...production, mailDomain: 'example.com' }),
        CDK_OUTDIR: outdir,
      },
    });
    rmSync(outdir, { recursive: true, force: true });
    expect(run.status).toBe(1);
    expect(run.stderr.trim()).toBe(
      'Error: context mailDomain "example.com" is a placeholder: set -c mailDomain=<your domain>',
    );
  });
});

describe('team notifications', () => {
  const notifications = {
    manager: ['ops@acme-retail.eu', 'lead@acme-retail.eu'],
    tier3: ['lead@acme-retail.eu'],
  };
  const template = () => Template.fromStack(buildFastStack({ notifications }).stack);

  it('subscribes each address once, filtered on the role attribute the notifier publishes', () => {
    const t = template();
    const subscriptions = Object.values(t.findResources('AWS::SNS::Subscription')).map(
      (r) => (r as { Properties: Record<string, unknown> }).Properties,
    );
    const team = subscriptions.filter((s) => s.FilterPolicy);
    expect(team).toHaveLength(2);
    expect(team).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          Protocol: 'email',
          Endpoint: 'ops@acme-retail.eu',
          FilterPolicy: { role: ['manager'] },
        }),
        expect.objectContaining({
          Protocol: 'email',
          Endpoint: 'lead@acme-retail.eu',
          FilterPolicy: { role: ['tier3', 'manager'] },
        }),
      ]),
    );
  });

  it('sends the stuck-or-lost alarms (failed executions, intake dead letters) to the managers', () => {
    const t = template();
    // People's mail subscriptions without a filter (the SES feedback topic's Lambda subscription is not one).
    const managerSubscriptions = Object.values(t.findResources('AWS::SNS::Subscription')).filter((r) => {
      const p = (r as { Properties: Record<string, unknown> }).Properties;
      return p.Protocol === 'email' && !p.FilterPolicy;
    });
    expect(managerSubscriptions).toHaveLength(2);
    const managerTopic = Object.keys(t.findResources('AWS::SNS::Topic')).find((id) =>
      id.includes('ManagerAlarmTopic'),
    );
    expect(managerTopic).toBeDefined();
    for (const alarm of ['ExecutionsFailed', 'IntakeFailures']) {
      t.hasResourceProperties('AWS::CloudWatch::Alarm', {
        AlarmDescription: Match.stringLikeRegexp(`^${alarm}:`),
        AlarmActions: Match.arrayWith([{ Ref: managerTopic }]),
      });
    }
    t.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmDescription: Match.stringLikeRegexp('^ApiFnErrors:'),
      AlarmActions: Match.not(Match.arrayWith([{ Ref: managerTopic }])),
    });
  });
});
