import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasChromium, launchBrowser } from '../../scripts/console/browser';
import { type LocalStack, startLocalStack } from '../../scripts/local/localStack';
import { api, sendRawMail, waitForMail } from '../../scripts/local/localStackClient';
import { onPage } from '../support/browserJourney';

/**
 * The agent console against what the public controls, in a real browser (the harness of
 * `console.test.ts`): a customer's mail whose display name, subject (an encoded-word decoding to markup,
 * a right-to-left override, 3,000 characters), HTML part, attachment names and content types are markup
 * and spoofing, and the same mail held in quarantine. The manager opens every view that shows them: no
 * script of theirs runs, no element of theirs is created, the console runs under its Content Security
 * Policy without a violation, their text cannot reorder the console's own, and a long value does not
 * widen the page. The access token stays out of localStorage, the address bar and the Referer; the
 * refresh token renews it before it expires, appears in no address, and is revoked by the sign-out.
 */
let stack: LocalStack;
let dataDir: string;
let browser: Awaited<ReturnType<typeof launchBrowser>>;

beforeAll(async () => {
  if (!hasChromium())
    throw new Error('Install Debian’s chromium (apt-get install chromium) or set CHROMIUM_PATH');
  dataDir = await mkdtemp(join(tmpdir(), 'complaints-console-security-'));
  stack = await startLocalStack({ dataDir, quiet: true, inMemoryDynamoDb: true });
  browser = await launchBrowser();
}, 180_000);
afterAll(async () => {
  await browser?.close();
  await stack?.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

const tag = Date.now().toString(36);
const sender = `mallory.${tag}@example.org`;
const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');
/** An RFC 2047 encoded-word: what a header decodes to is the customer's choice, markup included. */
const encoded = (s: string) => `=?UTF-8?B?${b64(s)}?=`;
const rlo = '\u202E';
/** Every bidirectional embedding, override and isolate control. */
const bidiControls = /[\u202A-\u202E\u2066-\u2069]/;

/** A multipart mail whose every customer-controlled field is hostile. */
function hostileMail(subject: string, extraHeaders: string[] = []): Buffer {
  return Buffer.from(
    [
      `From: ${encoded(`<img src=x onerror="window.__pwned='name'"> ${rlo}Mallory`)} <${sender}>`,
      `To: ${stack.endpoints.supportAddress}`,
      `Subject: ${subject}`,
      `Message-ID: <${tag}.${Math.random().toString(36).slice(2)}@example.org>`,
      ...extraHeaders,
      'MIME-Version: 1.0',
      'Content-Type: multipart/mixed; boundary="outer"',
      '',
      '--outer',
      'Content-Type: text/html; charset=utf-8',
      '',
      `<p>Refund me <img src=x onerror="window.__pwned='html'"><a href="javascript:window.__pwned='href'">here</a><script>window.__pwned='script'</script><svg onload="window.__pwned='svg'"></svg></p>`,
      '--outer',
      'Content-Type: text/html',
      `Content-Disposition: attachment; filename="${encoded(`invoice${rlo}fdp.exe`)}"`,
      'Content-Transfer-Encoding: base64',
      '',
      b64(`<script>window.__pwned='attachment'</script>`),
      '--outer',
      `Content-Type: image/svg+xml"><img src=x onerror=window.__pwned='type'>`,
      `Content-Disposition: attachment; filename="${encoded(`"><svg onload=window.__pwned='file'>.svg`)}"`,
      '',
      `<svg xmlns="http://www.w3.org/2000/svg" onload="window.__pwned='svgfile'"/>`,
      '--outer--',
      '',
    ].join('\r\n'),
  );
}

/** Records what must never happen on the page: dialogs, CSP violations, a console message with the token. */
function watch(page: Page) {
  const seen = { dialogs: [] as string[], messages: [] as string[] };
  page.on('dialog', (d) => {
    seen.dialogs.push(d.message());
    d.dismiss().catch(() => undefined);
  });
  page.on('console', (m) => seen.messages.push(m.text()));
  return seen;
}

const violations = (page: Page) => page.evaluate('window.__violations ?? []') as Promise<string[]>;

/** What the customer's markup may have done to the page, checked on every view. */
async function untouched(page: Page, view: string) {
  expect(await page.evaluate('window.__pwned'), `${view}: a script of the customer's ran`).toBeUndefined();
  expect(
    await page.evaluate(
      `[...document.querySelectorAll('main img, main svg:not(.chart), main script, main iframe, main [onload], main [onerror], a[href^="javascript:" i]')].map((e) => e.outerHTML.slice(0, 120))`,
    ),
    `${view}: an element of the customer's markup`,
  ).toEqual([]);
  // A 3,000-character subject wraps: the page does not grow sideways past the window.
  expect(
    await page.evaluate('document.documentElement.scrollWidth <= innerWidth'),
    `${view}: wider than the window`,
  ).toBe(true);
  expect(await violations(page), `${view}: Content-Security-Policy violations`).toEqual([]);
}

describe('the console against hostile customer data', () => {
  it('renders a hostile mail and its quarantined twin as inert text under the deployed CSP, without spoofing or widening the page', async () => {
    const subjectText = `<svg onload=window.__pwned='subject'> ${rlo}${tag} ${'A'.repeat(3000)}`;
    await sendRawMail(stack.endpoints, hostileMail(encoded(subjectText)), { from: sender });
    await sendRawMail(
      stack.endpoints,
      hostileMail(`${encoded(`<img src=x onerror=window.__pwned='held'>`)} held ${tag}`, [
        'X-Local-Spam-Verdict: FAIL',
      ]),
      { from: sender },
    );
    const ack = await waitForMail(stack.endpoints, sender, /CMP-/);
    const reference = /CMP-[0-9A-Z]{6}/.exec(ack.subject)?.[0] as string;

    await onPage(browser, 'console-security-hostile-mail', async (page) => {
      // Every Content-Security-Policy violation on every page the tab loads.
      await page.addInitScript(`
        window.__violations = [];
        document.addEventListener('securitypolicyviolation', (e) =>
          window.__violations.push(e.violatedDirective + ' ' + e.blockedURI));
      `);
      const seen = watch(page);
      const apiRequests: { url: string; referer: string | undefined }[] = [];
      const allRequests: { url: string; referer: string | undefined; body: string }[] = [];
      page.on('request', (r) => {
        if (r.url().startsWith(stack.endpoints.api.url))
          apiRequests.push({ url: r.url(), referer: r.headers().referer });
        allRequests.push({ url: r.url(), referer: r.headers().referer, body: r.postData() ?? '' });
      });

      const index = await page.goto(stack.endpoints.console.url);
      const headers = index?.headers() ?? {};
      expect(headers['content-security-policy']).toContain("script-src 'self'");
      expect(headers['content-security-policy']).toContain("frame-ancestors 'none'");
      expect(headers['x-frame-options']).toBe('DENY');
      expect(headers['x-content-type-options']).toBe('nosniff');
      expect(headers['referrer-policy']).toBe('no-referrer');

      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('button', { name: /^manager/ }).click();
      await page.getByRole('heading', { name: 'My queue (manager)' }).waitFor();
      const session = async () =>
        JSON.parse((await page.evaluate(`sessionStorage.getItem('console.session')`)) as string) as {
          accessToken: string;
          expiresAt: number;
          refreshToken?: string;
        };
      const { accessToken: token, refreshToken } = await session();
      expect(token).toMatch(/^ey/);
      expect(refreshToken).toMatch(/^[\w-]{20,}$/);

      // The queue the mail waits in: its subject and the customer's name are text.
      await page.getByRole('link', { name: 'tier1', exact: true }).click();
      const row = page.getByRole('row', { name: new RegExp(reference) });
      for (let i = 0; i < 50 && !(await row.isVisible()); i++) {
        await page.keyboard.press('r');
        await page.waitForTimeout(200);
      }
      expect(await row.textContent()).toContain(`<svg onload=window.__pwned='subject'>`);
      expect(await row.textContent()).toContain(`<img src=x onerror="window.__pwned='name'">`);
      expect(await row.textContent()).not.toMatch(bidiControls);
      await untouched(page, 'queue');

      // The complaint: heading, customer, timeline and attachments.
      await page.getByRole('link', { name: reference }).click();
      const heading = page.getByRole('heading', { name: new RegExp(reference) });
      await heading.waitFor();
      await page.locator('.entry-inbound').first().waitFor();
      expect(await heading.textContent()).toContain(`<svg onload=window.__pwned='subject'> ${tag} AAA`);
      const attachments = page.locator('ul.attachments li');
      expect(await attachments.allTextContents()).toEqual([
        'invoicefdp.exe · text/html · 1 KB',
        // The MIME parser drops the quote of the content type; the rest is shown as sent.
        `"><svg onload=window.__pwned='file'>.svg · image/svg+xml><img src=x onerror=window.__pwned='type'> · 1 KB`,
      ]);
      const timeline = (await page.locator('ol.timeline').textContent()) ?? '';
      expect(timeline).toContain('Refund me');
      expect(timeline).toContain(`invoicefdp.exe, "><svg onload=window.__pwned='file'>.svg`);
      expect(await page.locator('main').textContent()).not.toMatch(bidiControls);
      await untouched(page, 'complaint');

      // A low-privilege agent's text too: tier 1 proposes above their limit with a summary whose
      // right-to-left override would reverse what the approver reads after it (amounts included).
      const id = /\/complaints\/([0-9a-f]{26})$/.exec(page.url())?.[1] as string;
      const tier1 = stack.endpoints.tokens.tier1;
      const versionOf = async () => {
        const got = await api<{ complaint: { status: string } }>(
          stack.endpoints,
          'GET',
          `/complaints/${id}`,
          {
            token: tier1,
          },
        );
        return { status: got.body.complaint.status, etag: got.headers.get('etag') as string };
      };
      await expect.poll(async () => (await versionOf()).status, { timeout: 20_000 }).toBe('awaiting_agent');
      const claim = await api(stack.endpoints, 'POST', `/complaints/${id}/claim`, {
        token: tier1,
        headers: { 'if-match': (await versionOf()).etag },
        body: {},
      });
      expect(claim.status).toBe(200);
      const proposal = await api(stack.endpoints, 'POST', `/complaints/${id}/resolution`, {
        token: tier1,
        headers: { 'if-match': (await versionOf()).etag },
        body: {
          type: 'refund',
          amount: 150,
          currency: 'EUR',
          summary: `Refund${rlo} as agreed`,
          rootCause: 'carrier_delay',
        },
      });
      expect(proposal.status).toBeLessThan(300);
      await page.reload();
      const approval = page.locator('details.action', { hasText: 'proposes a' });
      await approval.waitFor({ timeout: 20_000 });
      expect(await approval.textContent()).toContain('“Refund as agreed” (root cause carrier delay)');
      expect(await approval.textContent()).not.toMatch(bidiControls);
      await untouched(page, 'approval');

      // The held twin: subject, sender, reason and preview.
      await page.getByRole('link', { name: 'Quarantine' }).click();
      const held = page.locator('ul.quarantine li', { hasText: `held ${tag}` });
      await held.waitFor();
      expect(await held.textContent()).toContain(`<img src=x onerror=window.__pwned='held'> held ${tag}`);
      expect(await held.textContent()).toContain('Refund me');
      await untouched(page, 'quarantine');

      // The access token about to expire (as 14 minutes after sign-in): the next call renews it with
      // the refresh token first, in a form post to the token endpoint, and the agent sees no sign-in.
      await page.evaluate(`sessionStorage.setItem('console.session', JSON.stringify({
        ...JSON.parse(sessionStorage.getItem('console.session')), expiresAt: Date.now() + 30000 }))`);
      await page.getByRole('link', { name: 'Reports' }).click();
      await page.getByRole('heading', { name: /^SLA compliance by tier/ }).waitFor();
      await untouched(page, 'reports');
      const renewed = await session();
      expect(renewed.accessToken).not.toBe(token);
      expect(renewed.refreshToken).toBe(refreshToken);
      expect(renewed.expiresAt).toBeGreaterThan(Date.now() + 60_000);
      const renewals = allRequests.filter((r) => r.body.includes('grant_type=refresh_token'));
      expect(renewals.map((r) => new URL(r.url).pathname)).toEqual(['/dev-sign-in/token']);

      expect(seen.dialogs).toEqual([]);
      // The token: in this tab's sessionStorage only, never in localStorage, a URL, a Referer or a log line.
      expect(await page.evaluate('localStorage.length')).toBe(0);
      expect(page.url()).not.toContain(token);
      expect(apiRequests.length).toBeGreaterThan(5);
      for (const request of apiRequests) {
        expect(request.url).not.toContain(token);
        expect(request.referer ?? '').toBe('');
      }
      expect(seen.messages.filter((m) => m.includes(token))).toEqual([]);
      // The refresh token: in no address (of any request: the API, the sign-in, the token endpoint), no
      // Referer, no log line; only in the bodies of the form posts that renew and revoke it.
      for (const request of allRequests) {
        expect(request.url).not.toContain(refreshToken);
        expect(request.referer ?? '').not.toContain(refreshToken);
      }
      expect(seen.messages.filter((m) => m.includes(refreshToken as string))).toEqual([]);

      // Signing out revokes the refresh token and leaves no session in the tab.
      await page.getByRole('button', { name: 'Sign out' }).click();
      await page.getByRole('button', { name: 'Sign in' }).waitFor();
      expect(await page.evaluate(`sessionStorage.getItem('console.session')`)).toBeNull();
      const revocations = allRequests.filter((r) => new URL(r.url).pathname === '/dev-sign-in/revoke');
      expect(revocations.map((r) => new URLSearchParams(r.body).get('token'))).toEqual([refreshToken]);
      const config = (await (await fetch(`${stack.endpoints.console.url}/config.json`)).json()) as {
        auth: { tokenUrl: string; clientId: string };
      };
      const reuse = await fetch(config.auth.tokenUrl, {
        method: 'POST',
        body: new URLSearchParams({
          grant_type: 'refresh_token',
          refresh_token: refreshToken as string,
          client_id: config.auth.clientId,
        }),
      });
      expect(reuse.status, 'the refresh token works no more after the sign-out').toBe(400);

      // Another site cannot frame the console under a decoy (clickjacking the decision buttons).
      await page.goto('about:blank');
      await page.setContent(`<iframe src="${stack.endpoints.console.url}/"></iframe>`);
      // Chromium shows its error page in place of a frame the answer's headers refuse.
      const frameUrl = () =>
        page
          .frames()
          .find((f) => f !== page.mainFrame())
          ?.url();
      await expect.poll(frameUrl, { timeout: 10_000 }).toMatch(/^chrome-error:/);
    });
  }, 180_000);
});
