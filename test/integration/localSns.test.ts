import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidParameterException, NotFoundException, PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { roleAttribute, SnsNotifier } from '../../functions/adapters/notifier';
import { teamSubscriptions } from '../../infra/teamSubscriptions';
import { localAwsConfig } from '../../scripts/local/localAws';
import { type LocalSes, startLocalSes } from '../../scripts/local/localSes';
import { type LocalSns, type LocalSnsOptions, startLocalSns } from '../../scripts/local/localSns';
import { mailbox, type SentMail, waitFor } from '../../scripts/local/localStackClient';

/**
 * The local SNS Publish endpoint as the real `@aws-sdk/client-sns` (and the product's notifier) sees
 * it: answered once every matching email subscription's delivery is on disk, filtered on the `role`
 * attribute, delivered as SNS's email into the local SES mailbox, and delivered after a restart.
 */
let ses: LocalSes;
let dataDir: string;
const stopped: (() => Promise<void>)[] = [];
// aws-ses-v2-local keeps one mailbox per process: addresses unique to this file.
const domain = `sns-${process.pid}.test`;

beforeAll(async () => {
  ses = await startLocalSes({ port: 0 });
  dataDir = await mkdtemp(join(tmpdir(), 'local-sns-'));
});
afterAll(async () => {
  for (const stop of stopped.reverse()) await stop();
  await ses?.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

async function startSns(name: string, overrides: Partial<LocalSnsOptions> = {}) {
  const sns = await startLocalSns({
    topics: {
      TeamNotifications: teamSubscriptions({
        tier1: [`tier1@${domain}`],
        tier3: [`lead@${domain}`],
        manager: [`ops@${domain}`, `lead@${domain}`],
      }).map(({ address, roles }) => ({ address, filterPolicy: { [roleAttribute]: roles } })),
    },
    account: '000000000000',
    sesEndpoint: ses.url,
    spoolDir: join(dataDir, name, 'spool'),
    deadLetterDir: join(dataDir, name, 'dead-letter'),
    host: '127.0.0.1',
    port: 0,
    ...overrides,
  });
  const client = new SNSClient({ ...localAwsConfig(sns.endpoint), maxAttempts: 1 });
  stopped.push(async () => {
    client.destroy();
    await sns.close();
  });
  return { sns, client, topicArn: sns.topicArns.TeamNotifications as string };
}

const mailTo = async (address: string, subject: string): Promise<SentMail[]> =>
  (await mailbox(ses.url)).filter((m) => m.destination.to.includes(address) && m.subject === subject);

describe('local SNS Publish', () => {
  let sns: LocalSns;
  let client: SNSClient;
  let topicArn: string;
  beforeAll(async () => {
    ({ sns, client, topicArn } = await startSns('main'));
  });

  it('delivers a notification to the subscriptions whose role filter accepts it, as SNS email', async () => {
    await new SnsNotifier(topicArn, client).notify('manager', 'CMP-ABC123 needs a manager', 'Look at it.');
    await sns.drain();
    const subject = 'CMP-ABC123 needs a manager';
    const toOps = await mailTo(`ops@${domain}`, subject);
    const toLead = await mailTo(`lead@${domain}`, subject);
    const toTier1 = await mailTo(`tier1@${domain}`, subject);
    expect(toOps).toHaveLength(1);
    expect(toLead).toHaveLength(1);
    expect(toTier1).toHaveLength(0);
    expect(toOps[0]?.from).toContain('no-reply@sns.amazonaws.com');
    expect(toOps[0]?.body.text).toMatch(/^Look at it\.\n\n--\nIf you wish to stop receiving notifications/);
    expect(toOps[0]?.body.text).toContain(encodeURIComponent(`ops@${domain}`));

    await new SnsNotifier(topicArn, client).notify('tier2', 'Nobody listens to tier 2', 'Unheard.');
    await sns.drain();
    expect(await readdir(join(dataDir, 'main', 'spool'))).toEqual([]);
    expect(
      (await mailbox(ses.url)).filter(
        (m) => m.subject === 'Nobody listens to tier 2' && m.destination.to.some((t) => t.endsWith(domain)),
      ),
    ).toEqual([]);
  });

  it("answers SNS's errors: an unknown topic, a subject SNS refuses", async () => {
    await expect(
      client.send(new PublishCommand({ TopicArn: `${topicArn}-nope`, Message: 'x' })),
    ).rejects.toBeInstanceOf(NotFoundException);
    await expect(
      client.send(new PublishCommand({ TopicArn: topicArn, Message: 'x', Subject: 'line\nbreak' })),
    ).rejects.toBeInstanceOf(InvalidParameterException);
  });
});

describe('local SNS durability', () => {
  let hanging: Server;
  beforeAll(async () => {
    // An SES endpoint that never answers: the delivery is under way when the endpoint "crashes".
    hanging = createServer(() => undefined);
    await new Promise<void>((resolve) => hanging.listen(0, '127.0.0.1', resolve));
  });

  it('delivers after a restart what a Publish answered before the crash', async () => {
    const stuck = await startSns('restart', {
      sesEndpoint: `http://127.0.0.1:${(hanging.address() as AddressInfo).port}`,
      // The stuck instance dead-letters elsewhere once its hanging send is cut, never into our way.
      deadLetterDir: join(dataDir, 'restart', 'stuck-dead-letter'),
      retryDelaysMs: [],
      logger: { info: () => undefined, error: () => undefined },
    });
    await new SnsNotifier(stuck.topicArn, stuck.client).notify('tier1', 'Answered, then crashed', 'Hello.');
    expect(await readdir(join(dataDir, 'restart', 'spool'))).toHaveLength(1);

    // A second endpoint on the same spool (the restarted stack) sends what the first one never did.
    const restarted = await startSns('restart');
    const [delivered] = await waitFor(async () => {
      const found = await mailTo(`tier1@${domain}`, 'Answered, then crashed');
      return found.length > 0 ? found : undefined;
    }, 'the notification spooled before the restart');
    expect(delivered?.body.text).toMatch(/^Hello\./);
    await restarted.sns.drain();
    // The stuck send fails now (its retries find no server): the first endpoint closes cleanly.
    await new Promise<void>((resolve) => {
      hanging.close(() => resolve());
      hanging.closeAllConnections();
    });
  });
});
