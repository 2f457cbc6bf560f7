import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { LocalEndpoints } from './local/localStack';

/**
 * `npm run events:tail`: prints the domain events of the running local stack as they are published
 * (one line each: time, type, complaint, version), from the bus's `GET /events`. `--all` starts at the
 * beginning of the log instead of its end; `--json` prints each event whole.
 */
const dataDir = process.env.COMPLAINTS_DATA_DIR ?? '.local';
const args = new Set(process.argv.slice(2));
let endpoints: LocalEndpoints;
try {
  endpoints = JSON.parse(await readFile(join(dataDir, 'endpoints.json'), 'utf8'));
} catch {
  console.error(`No ${dataDir}/endpoints.json: start the local stack first with \`npm start\`.`);
  process.exit(1);
}
interface Page {
  events: { time: string; 'detail-type': string; detail: Record<string, unknown> }[];
  next: number;
}
const page = async (after: number): Promise<Page> =>
  (await fetch(`${endpoints.events.endpoint}/events?after=${after}&limit=1000`)).json() as Promise<Page>;

let after = 0;
if (!args.has('--all')) {
  for (let p = await page(0); p.events.length > 0; p = await page(after)) after = p.next;
}
for (;;) {
  const p = await page(after);
  for (const e of p.events) {
    const d = e.detail;
    console.log(
      args.has('--json')
        ? JSON.stringify(e)
        : `${d.occurredAt}  ${e['detail-type'].padEnd(20)} ${d.complaintId} v${d.complaintVersion}  ${JSON.stringify(d.data)}`,
    );
  }
  after = p.next;
  if (p.events.length === 0) await new Promise((r) => setTimeout(r, 500));
}
