import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';

/** Where the browser tests keep a failed journey's screenshot (git-ignored). */
const artifacts = join(process.cwd(), '.local', 'browser-test');

/**
 * Runs a journey on the browser's page; on failure keeps a screenshot of the page, as
 * `<screenshot>.png`, and fails with the journey's error.
 */
export async function onPage(
  browser: { context: BrowserContext },
  screenshot: string,
  journey: (page: Page) => Promise<void>,
) {
  const page = browser.context.pages()[0] ?? (await browser.context.newPage());
  try {
    await journey(page);
  } catch (e) {
    await mkdir(artifacts, { recursive: true });
    await page
      .screenshot({ path: join(artifacts, `${screenshot}.png`), fullPage: true })
      .catch(() => undefined);
    throw e;
  }
}
