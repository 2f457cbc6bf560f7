import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasChromium, launchBrowser } from '../../scripts/console/browser';
import { type LocalStack, startLocalStack } from '../../scripts/local/localStack';
import { sendMail, waitForMail } from '../../scripts/local/localStackClient';

/**
 * The agent console in a real browser (Debian's chromium through playwright-core) against the local
 * stack: tier 1 signs in, claims the complaint from the queue, replies and proposes a refund above
 * their limit; tier 2 signs in and approves; the complaint is resolved and the resolution mail is in
 * the mailbox. axe-core checks every view the journey passes. On failure a screenshot is kept under
 * `.local/browser-test/`.
 */
let stack: LocalStack;
let dataDir: string;
const artifacts = join(process.cwd(), '.local', 'browser-test');
const axeSource = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

beforeAll(async () => {
  if (!hasChromium())
    throw new Error('Install Debian’s chromium (apt-get install chromium) or set CHROMIUM_PATH');
  dataDir = await mkdtemp(join(tmpdir(), 'complaints-console-'));
  stack = await startLocalStack({ dataDir, quiet: true, inMemoryDynamoDb: true });
}, 180_000);
afterAll(async () => {
  await stack?.close();
  await rm(dataDir, { recursive: true, force: true });
});

interface AxeResult {
  violations: { id: string; impact: string; help: string; nodes: { target: string[] }[] }[];
  passes: unknown[];
}

/** axe-core's WCAG 2.x A/AA rules on the page as it is now. */
async function axe(page: Page, view: string) {
  if (!(await page.evaluate('typeof axe !== "undefined"'))) await page.addScriptTag({ path: axeSource });
  const rules = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'];
  const result = (await page.evaluate(
    `axe.run(document, { runOnly: ${JSON.stringify(rules)} })`,
  )) as AxeResult;
  const found = result.violations.map(
    (v) => `${view}: ${v.id} (${v.impact}) ${v.help} at ${v.nodes[0]?.target}`,
  );
  console.log(
    `axe-core on ${view}: ${result.passes.length} rules passed, ${result.violations.length} violated`,
  );
  return found;
}

describe('agent console in a browser', () => {
  it('tier 1 claims, replies and proposes above the limit; tier 2 approves; the customer gets the resolution', async () => {
    const started = Date.now();
    const steps: string[] = [];
    const step = (name: string) => steps.push(`${((Date.now() - started) / 1000).toFixed(1)} s ${name}`);
    const customer = `console.${Date.now().toString(36)}@example.org`;
    await sendMail(stack.endpoints, {
      from: customer,
      subject: 'Blender arrived broken',
      text: 'The jar is cracked.',
    });
    const ack = await waitForMail(stack.endpoints, customer, /CMP-/);
    const reference = /CMP-[0-9A-Z]{6}/.exec(ack.subject)?.[0] as string;
    step(`mail filed as ${reference}`);

    const browser = await launchBrowser();
    const page = browser.context.pages()[0] ?? (await browser.context.newPage());
    const a11y: string[] = [];
    try {
      await page.goto(stack.endpoints.console.url);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('button', { name: /^tier1/ }).click();
      await page.getByRole('heading', { name: 'My queue (tier1)' }).waitFor();
      step('tier1 signed in');

      // The investigation may still be running: the queue refreshes on `r`.
      const row = page.getByRole('link', { name: reference });
      for (let i = 0; i < 50 && !(await row.isVisible()); i++) {
        await page.keyboard.press('r');
        await page.waitForTimeout(200);
      }
      a11y.push(...(await axe(page, 'queue')));
      await row.click();
      await page.getByRole('heading', { name: new RegExp(reference) }).waitFor();
      await page.getByRole('button', { name: 'Claim' }).click();
      await expect.poll(() => page.locator('.facts').textContent()).toContain('dev-tier1');
      step('claimed from the queue');

      await page
        .getByLabel('Reply (emailed to the customer)')
        .fill('Sorry about the blender, we will refund it.');
      await page.getByRole('button', { name: 'Send reply' }).click();
      await page.locator('.entry-outbound', { hasText: 'we will refund it' }).waitFor();
      step('replied');

      // A session that ends while typing: back to sign-in, then to the same page with the text kept.
      const replyBox = page.getByLabel('Reply (emailed to the customer)');
      await replyBox.fill('Half-written answer');
      await page.evaluate(
        `sessionStorage.setItem('console.session', JSON.stringify({ accessToken: 'expired', expiresAt: Date.now() + 3600e3 }))`,
      );
      await page.getByRole('button', { name: 'Send reply' }).click();
      await page.getByText('Your session has ended').waitFor();
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('button', { name: /^tier1/ }).click();
      await expect.poll(() => replyBox.inputValue()).toBe('Half-written answer');
      await replyBox.fill('');
      step('session expired and renewed, typed text kept');

      await page.getByLabel('Resolution', { exact: true }).selectOption('refund');
      await page.getByLabel('Amount (EUR)').fill('150');
      await expect.poll(() => page.getByTestId('authority').textContent()).toContain('Above your limit');
      await page.getByLabel('Summary for the customer').fill('Full refund of the blender.');
      await page.getByLabel('Root cause').selectOption('product_defect');
      a11y.push(...(await axe(page, 'complaint')));
      await page.getByRole('button', { name: 'Propose for approval' }).click();
      await expect
        .poll(() => page.getByTestId('status').textContent(), { timeout: 15_000 })
        .toBe('awaiting approval');
      step('proposed 150 EUR above the 100 EUR limit');

      await page.getByRole('button', { name: 'Sign out' }).click();
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('button', { name: /^tier2/ }).click();
      await page.getByRole('link', { name: 'Approvals' }).click();
      await page.getByRole('link', { name: reference }).click();
      await page.getByText('proposes a refund').waitFor();
      a11y.push(...(await axe(page, 'approval')));
      await page.getByRole('button', { name: 'Approve' }).click();
      await expect
        .poll(() => page.getByTestId('status').textContent(), { timeout: 20_000 })
        .toMatch(/^(resolved|awaiting follow up)$/);
      step('tier2 approved: resolved');

      const resolution = await waitForMail(stack.endpoints, customer, /Full refund of the blender/);
      expect(resolution.subject).toContain(reference);
      step('resolution mail in the mailbox');
    } catch (e) {
      await mkdir(artifacts, { recursive: true });
      await page
        .screenshot({ path: join(artifacts, 'console-failure.png'), fullPage: true })
        .catch(() => undefined);
      throw e;
    } finally {
      await browser.close();
      console.log(`console journey:\n  ${steps.join('\n  ')}`);
    }
    expect(a11y).toEqual([]);
  }, 120_000);
});
