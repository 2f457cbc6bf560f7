import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { startLocalStack } from '../local/localStack';
import { sendMail, waitForMail } from '../local/localStackClient';
import { launchBrowser } from './browser';

/**
 * `npm run console:screenshots`: the README's pictures of each main view, taken in the same headless
 * Chromium as the browser test, against a local stack filled with a few complaints.
 */
const docs = fileURLToPath(new URL('../../docs/', import.meta.url));
const dataDir = await mkdtemp(join(tmpdir(), 'complaints-screenshots-'));
const stack = await startLocalStack({ dataDir, quiet: true, inMemoryDynamoDb: true });
const browser = await launchBrowser();
try {
  await mkdir(docs, { recursive: true });
  const e = stack.endpoints;
  const mails = [
    { from: 'ann.lee@example.org', subject: 'Parcel never arrived', text: 'Order 1234 is two weeks late.' },
    {
      from: 'bo.chen@example.org',
      subject: 'Charged twice for my subscription',
      text: 'I was billed twice this month. Refund me or I will cancel my account.',
    },
    {
      from: 'cara.diaz@example.org',
      subject: 'Blender arrived broken',
      text: 'The jar is cracked and the motor smells burnt. Terrible.',
    },
  ];
  await Promise.all(mails.map((m) => sendMail(e, m)));
  await sendMail(e, {
    from: 'promo@example.org',
    subject: 'You won a prize',
    text: 'Click here.',
    headers: { 'X-Local-Spam-Verdict': 'FAIL' },
  });
  const ack = await waitForMail(e, 'cara.diaz@example.org', /CMP-/);
  const reference = /CMP-[0-9A-Z]{6}/.exec(ack.subject)?.[0] as string;
  await Promise.all(mails.map((m) => waitForMail(e, m.from, /CMP-/)));

  const page = browser.context.pages()[0] ?? (await browser.context.newPage());
  const shot = (name: string) => page.screenshot({ path: join(docs, `console-${name}.png`) });
  const signInAs = async (role: string) => {
    await page.goto(e.console.url);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Local sign-in' }).waitFor();
    if (role === 'tier1') await shot('signin');
    await page.getByRole('button', { name: new RegExp(`^${role}`) }).click();
  };
  const waitForRow = async (p: Page) => {
    const row = p.getByRole('link', { name: reference });
    for (let i = 0; i < 100 && !(await row.isVisible()); i++) {
      await p.keyboard.press('r');
      await p.waitForTimeout(200);
    }
    return row;
  };

  await signInAs('tier1');
  await page.getByRole('heading', { name: /My queue/ }).waitFor();
  const row = await waitForRow(page);
  await page.waitForTimeout(500);
  await shot('queue');
  await row.click();
  await page.getByRole('button', { name: 'Claim' }).click();
  await page.locator('.facts', { hasText: 'dev-tier1' }).waitFor();
  await page
    .getByLabel('Reply (emailed to the customer)')
    .fill('Sorry about the blender, we will sort it out.');
  await page.getByRole('button', { name: 'Send reply' }).click();
  await page.locator('.entry-outbound', { hasText: 'sort it out' }).waitFor();
  await page.getByLabel('Amount (EUR)').fill('150');
  await page.getByLabel('Summary for the customer').fill('Full refund of the blender.');
  await page.getByLabel('Root cause').selectOption('product_defect');
  await shot('complaint');
  await page.getByRole('button', { name: 'Propose for approval' }).click();
  await page.getByTestId('status').filter({ hasText: 'awaiting approval' }).waitFor();

  await page.getByRole('button', { name: 'Sign out' }).click();
  await signInAs('tier2');
  await page.getByRole('link', { name: 'Approvals' }).click();
  await (await waitForRow(page)).waitFor();
  await shot('approvals');
  await page.getByRole('link', { name: reference }).click();
  await page.getByText('proposes a refund').waitFor();
  await shot('approval');
  // Approved, so the reports count a resolution too.
  await page.getByRole('button', { name: 'Approve' }).click();
  await page
    .getByTestId('status')
    .filter({ hasText: /^(resolved|awaiting follow up)$/ })
    .waitFor();

  await page.getByRole('button', { name: 'Sign out' }).click();
  await signInAs('manager');
  await page.getByRole('link', { name: 'Quarantine' }).click();
  await page
    .getByRole('button', { name: /^Release/ })
    .first()
    .waitFor();
  await shot('quarantine');

  // The counters follow the domain events: wait until the resolution is in the SLA report.
  await page.getByRole('link', { name: 'Reports' }).click();
  const resolved = page.locator('#report-sla td', { hasText: /^1 \/ 1/ });
  for (let i = 0; i < 40 && !(await resolved.first().isVisible()); i++) {
    await page.getByRole('button', { name: 'Show' }).click();
    await page.waitForTimeout(250);
  }
  await page.screenshot({ path: join(docs, 'console-reports.png'), fullPage: true });
  console.log(`screenshots written to ${docs}`);
} finally {
  await browser.close();
  await stack.close();
  await rm(dataDir, { recursive: true, force: true });
}
