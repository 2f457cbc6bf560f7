import { mkdir, mkdtemp, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { checkInvariants, type InvariantReport, invariantsHold } from './chaos/invariants';
import { type LoadRecord, runLoad, seededRandom } from './chaos/load';
import { type StackProcess, startStackProcess } from './chaos/stackProcess';
import { api } from './local/localStackClient';
import { intakeFolders, redriveMail } from './local/smtpIntake';

/**
 * `npm run chaos`: rounds of `kill -9` of the whole local stack at a random moment during mixed load
 * (new mail, customer replies, claims, resolutions, approvals, follow-up calls), each followed by a
 * restart on the same data and a check of the invariants over everything accepted so far:
 * every mail answered 250 filed exactly once, every write answered 2xx applied exactly once, no refund
 * twice, no open complaint outside every queue without a running execution, no FAILED execution.
 * A mail dead-lettered after its retries (surfaced, not lost) is redriven as an operator would
 * (`npm run redrive:mail`, then a restart) and must then be filed like any other; the table counts them.
 * Prints a table per round and writes the JSON report; exits 1 when any invariant is broken.
 */
const options = {
  rounds: { type: 'string', default: '10' },
  seed: { type: 'string', default: '1' },
  'min-load-ms': { type: 'string', default: '5000' },
  'max-load-ms': { type: 'string', default: '15000' },
  connections: { type: 'string', default: '6' },
  'mail-rate': { type: 'string', default: '6' },
  'settle-ms': { type: 'string', default: '180000' },
  // How long a change's event may still be on its way from the table's stream to the bus: the load's
  // unanswered complaints pass SLA warnings and breaches every minute, so a running stack always has
  // its latest changes in flight (see checkEvents).
  'in-flight-ms': { type: 'string', default: '120000' },
  // The policy profile: `fast` (seconds-long SLAs, so waits time out, escalate and remind within a
  // round) or `standard` (hours: agents' decisions reach waits that are still open).
  profile: { type: 'string', default: 'fast' },
  'data-dir': { type: 'string' },
  report: { type: 'string', default: '.local/chaos-report.json' },
  help: { type: 'boolean', default: false },
} as const;
const usage = `usage: npm run chaos -- ${Object.entries(options)
  .filter(([name]) => name !== 'help')
  .map(([name, o]) => `[--${name} ${'default' in o ? o.default : '<folder>'}]`)
  .join(' ')}`;
/** Options parsed, or the usage and exit code 2 for an unknown option or a number that is none. */
function parseOptions() {
  try {
    const { values } = parseArgs({ options });
    if (values.help) {
      console.log(usage);
      process.exit(0);
    }
    const numeric = [
      'rounds',
      'seed',
      'min-load-ms',
      'max-load-ms',
      'connections',
      'mail-rate',
      'settle-ms',
      'in-flight-ms',
    ] as const;
    if (values.profile !== 'fast' && values.profile !== 'standard')
      throw new Error(`--profile is fast or standard, not ${values.profile}`);
    const bad = numeric.filter((name) => !/^\d+(\.\d+)?$/.test(values[name]));
    if (bad.length)
      throw new Error(`not a number: ${bad.map((name) => `--${name} ${values[name]}`).join(', ')}`);
    return values;
  } catch (error) {
    console.error(`chaos: ${error instanceof Error ? error.message : String(error)}\n${usage}`);
    process.exit(2);
  }
}
const values = parseOptions();
const rounds = Number(values.rounds);
const random = seededRandom(Number(values.seed));
const minLoad = Number(values['min-load-ms']);
const maxLoad = Number(values['max-load-ms']);
const settleMs = Number(values['settle-ms']);
const inFlightMs = Number(values['in-flight-ms']);
const holds = (report: InvariantReport) => invariantsHold(report, inFlightMs);
const profile = values.profile as 'fast' | 'standard';
const dataDir = values['data-dir'] ?? (await mkdtemp(join(tmpdir(), 'complaints-chaos-')));
const record: LoadRecord = { sent: [], mails: [], writes: [] };
const runId = Date.now().toString(36);

interface RoundRow extends InvariantReport {
  round: number;
  killAfterMs: number;
  mailsThisRound: number;
  writesThisRound: number;
  restartMs: number;
  settleMs: number;
  /** Mails dead-lettered in this round and redriven by the harness. */
  redriven: number;
}
const rows: RoundRow[] = [];

console.error(`chaos: ${rounds} rounds, data in ${dataDir}, seed ${values.seed}`);
for (let round = 1; round <= rounds + 1; round++) {
  const started = Date.now();
  let stack = await startStackProcess({ dataDir, profile });
  const restartMs = Date.now() - started;
  if (round > 1) {
    const settleStart = Date.now();
    const settled = await settle(stack);
    stack = settled.stack;
    const row = rows.at(-1) as RoundRow;
    Object.assign(row, settled.report, {
      restartMs,
      settleMs: Date.now() - settleStart,
      redriven: row.redriven + settled.redriven,
    });
    printRow(row);
  }
  if (round > rounds) {
    await stack.stop();
    break;
  }
  const known = await knownComplaints(stack);
  const killAfterMs = Math.round(minLoad + random() * (maxLoad - minLoad));
  const before = { mails: record.mails.length, writes: record.writes.length };
  const abort = new AbortController();
  const load = runLoad(
    stack.endpoints,
    {
      runId: `${runId}-${round}`,
      connections: Number(values.connections),
      mailRate: Number(values['mail-rate']),
      agentsPerTier: 2,
      random,
      known,
    },
    abort.signal,
    record,
  );
  await new Promise((r) => setTimeout(r, killAfterMs));
  await stack.kill();
  abort.abort();
  await load;
  rows.push({
    round,
    killAfterMs,
    mailsThisRound: record.mails.length - before.mails,
    writesThisRound: record.writes.length - before.writes,
    restartMs: 0,
    settleMs: 0,
    redriven: (await redriveDeadLetters()).length,
  } as RoundRow);
}

const totals = rows.at(-1) as RoundRow;
const ok = rows.every(holds);
const summary = {
  rounds,
  seed: Number(values.seed),
  dataDir,
  mailsAccepted: record.mails.length,
  writesAnswered: record.writes.length,
  redriven: rows.reduce((n, r) => n + r.redriven, 0),
  writesByKind: Object.fromEntries(
    ['claim', 'reply', 'resolve', 'request_approval', 'request_info', 'approve', 'follow_up'].map((k) => [
      k,
      record.writes.filter((w) => w.action === k).length,
    ]),
  ),
  writesRefused: Object.fromEntries(
    Object.entries(record.refused ?? {}).sort(([a], [b]) => a.localeCompare(b)),
  ),
  final: totals,
  ok,
  rows,
};
await mkdir(dirname(values.report as string), { recursive: true });
await writeFile(values.report as string, `${JSON.stringify(summary, null, 2)}\n`);
console.log(
  `\n${ok ? 'OK' : 'BROKEN'}: ${record.mails.length} mails accepted, ${record.writes.length} writes answered 2xx ` +
    `over ${rounds} kills; lost ${totals.mailsLost + totals.writesLost + totals.questionsUnasked + totals.repliesUnsent}, doubled ${
      totals.mailsDoubled +
      totals.writesDoubled +
      totals.refundsDoubled +
      totals.questionsDoubled +
      totals.repliesDoubled
    }, stuck ${totals.stuck}, failed executions ${totals.failedExecutions}, dead-lettered and redriven ${
      summary.redriven
    }; events: ${totals.eventsExpected} committed changes, ${totals.eventsMissing} missing, ` +
    `${totals.eventsDuplicated} duplicated, ${totals.eventsWithoutChange} without a change, ` +
    `${totals.eventsUncounted} not counted in the reports, ` +
    `${totals.eventsInFlight} in flight (oldest ${Math.round(totals.oldestInFlightMs / 1000)} s) (report: ${values.report})`,
);
process.exit(ok ? 0 : 1);

/**
 * Waits until everything accepted so far has been filed and applied, or the settle time is up. Mail
 * dead-lettered meanwhile is redriven as an operator would: moved back to the spool, then a restart.
 */
async function settle(
  started: StackProcess,
): Promise<{ stack: StackProcess; report: InvariantReport; redriven: number }> {
  const deadline = Date.now() + settleMs;
  let stack = started;
  let redriven = 0;
  for (;;) {
    const report = await checkInvariants(stack.endpoints, record);
    if (holds(report) || Date.now() > deadline) return { stack, report, redriven };
    if ((await deadLetters()).length > 0) {
      await stack.stop();
      redriven += (await redriveDeadLetters()).length;
      stack = await startStackProcess({ dataDir, profile });
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
}

async function deadLetters(): Promise<string[]> {
  const { deadLetterDir } = intakeFolders(dataDir);
  return (await readdir(deadLetterDir).catch(() => [])).filter((n) => n.endsWith('.json'));
}

async function redriveDeadLetters(): Promise<string[]> {
  const { spoolDir, deadLetterDir } = intakeFolders(dataDir);
  const moved = await redriveMail(deadLetterDir, spoolDir);
  if (moved.length > 0)
    console.error(`chaos: redrove ${moved.length} dead-lettered mail(s): ${moved.join(', ')}`);
  return moved;
}

async function knownComplaints(stack: StackProcess) {
  const known: { id: string; reference: string; customerEmail: string }[] = [];
  for (const tier of ['tier1', 'tier2', 'tier3'] as const) {
    const page = await api<{ items: { id: string; reference: string; customerEmail: string }[] }>(
      stack.endpoints,
      'GET',
      `/complaints?queue=${tier}&limit=50`,
      { token: stack.endpoints.tokens[tier] },
    );
    if (page.status === 200) known.push(...page.body.items);
  }
  return known;
}

function printRow(r: RoundRow) {
  if (r.round === 1) {
    console.log(
      [
        'round',
        'kill@ms',
        'mails 250',
        'writes 2xx',
        'mails lost',
        'mails doubled',
        'writes lost',
        'writes doubled',
        'refunds doubled',
        'questions unasked / doubled',
        'replies unsent / doubled',
        'stuck',
        'failed exec',
        'redriven',
        'events missing',
        'events doubled',
        'events uncounted',
        'events in flight (oldest s)',
        'restart ms',
        'settle ms',
      ].join(' | '),
    );
  }
  console.log(
    [
      r.round,
      r.killAfterMs,
      `${r.mailsThisRound} (total ${r.mailsAccepted})`,
      `${r.writesThisRound} (total ${r.writesAnswered})`,
      r.mailsLost,
      r.mailsDoubled,
      r.writesLost,
      r.writesDoubled,
      r.refundsDoubled,
      `${r.questionsUnasked} / ${r.questionsDoubled}`,
      `${r.repliesUnsent} / ${r.repliesDoubled}`,
      r.stuck,
      r.failedExecutions,
      r.redriven,
      `${r.eventsMissing + r.eventsWithoutChange} of ${r.eventsExpected}`,
      r.eventsDuplicated,
      r.eventsUncounted,
      `${r.eventsInFlight} (${Math.round(r.oldestInFlightMs / 1000)})`,
      r.restartMs,
      r.settleMs,
    ].join(' | '),
  );
  for (const [what, ids] of Object.entries(r.examples)) console.log(`    ${what}: ${ids.join(', ')}`);
}
