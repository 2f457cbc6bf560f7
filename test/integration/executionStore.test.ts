import {
  appendFileSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { appendHistory } from '../../scripts/local/stepFunctions/executionHistory';
import { type ExecutionRecord, ExecutionStore } from '../../scripts/local/stepFunctions/executionStore';

let dir: string;
let errors: unknown[];
let store: ExecutionStore;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'execution-store-'));
  errors = [];
  store = new ExecutionStore(dir, (error) => errors.push(error));
});

afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
  expect(errors).toEqual([]);
});

function started(name: string): ExecutionRecord {
  const record: ExecutionRecord = {
    executionArn: `arn:aws:states:us-east-1:000000000000:execution:Test:${name}`,
    name,
    status: 'RUNNING',
    input: '{"orderId":"o1"}',
    startDate: 1_700_000_000_000,
    history: [],
    taskTokens: {},
  };
  appendHistory(record.history, { type: 'ExecutionStarted' });
  return record;
}

/** A step: the state entered, its task scheduled with a token, the resume point moved there. */
function step(record: ExecutionRecord, stateName: string): void {
  appendHistory(record.history, { type: 'TaskStateEntered', stateEnteredEventDetails: { name: stateName } });
  appendHistory(record.history, { type: 'TaskScheduled' });
  const token = `${stateName}-token`;
  record.taskTokens[token] = 'open';
  record.resumeFrom = { stateName, input: { at: stateName }, attempt: { token, parameters: { token } } };
}

const logOf = (name: string) => join(dir, `${name}.jsonl`);
const linesOf = (name: string) => readFileSync(logOf(name), 'utf8').split('\n').filter(Boolean);
/** The record as JSON would carry it (no `undefined` fields). */
const plain = (record: ExecutionRecord) => JSON.parse(JSON.stringify(record));

describe('execution store', () => {
  it('appends each write to an open execution as one line and reads back the record', async () => {
    const record = started('a');
    await store.save(record);
    step(record, 'First');
    await store.save(record);
    appendHistory(record.history, { type: 'TaskSucceeded' });
    record.taskTokens['First-token'] = 'succeeded';
    await store.save(record);
    // Only the history grew: the line carries the new event alone.
    appendHistory(record.history, { type: 'TaskStateExited' });
    await store.save(record);

    const lines = linesOf('a').map((line) => JSON.parse(line));
    expect(lines).toHaveLength(4);
    expect(Object.keys(lines[0])).toEqual(['record']);
    expect(lines[3]).toEqual({ events: [record.history.at(-1)] });
    expect(await store.load('a')).toEqual(plain(record));
    expect(await new ExecutionStore(dir, () => undefined).loadOpen()).toEqual([plain(record)]);
  });

  it('drops a field that a later write no longer has', async () => {
    const record = started('b');
    step(record, 'First');
    await store.save(record);
    record.resumeFrom = undefined;
    appendHistory(record.history, { type: 'WaitStateEntered' });
    await store.save(record);
    const loaded = await store.load('b');
    expect(loaded?.resumeFrom).toBeUndefined();
    expect(loaded).toEqual(plain(record));
  });

  it('keeps what changes while a line is written for the next line', async () => {
    const record = started('c');
    await store.save(record);
    const writes: Promise<void>[] = [];
    for (let i = 0; i < 20; i += 1) {
      step(record, `State${i}`);
      writes.push(store.save(record));
      // Let the write start before the record changes again.
      await new Promise((resolve) => setImmediate(resolve));
    }
    await Promise.all(writes);
    await store.save(record);
    expect((await store.load('c'))?.history.map((event) => event.id)).toEqual(
      record.history.map((_, index) => index + 1),
    );
    expect(await store.load('c')).toEqual(plain(record));
  });

  it('ignores an append a crash cut short, and rewrites that log at the next start before appending', async () => {
    const record = started('d');
    step(record, 'First');
    await store.save(record);
    appendHistory(record.history, { type: 'TaskSucceeded' });
    await store.save(record);
    const before = plain(record);
    // A crash in the middle of the next append: part of a line, no newline.
    appendFileSync(logOf('d'), '{"events":[{"id":4,"previousEventId":3,"ti');
    expect(await store.load('d')).toEqual(before);

    await store.close();
    store = new ExecutionStore(dir, (error) => errors.push(error));
    const [resumed] = await store.loadOpen();
    expect(resumed).toEqual(before);
    expect(linesOf('d')).toHaveLength(1);
    expect(readFileSync(logOf('d'), 'utf8').endsWith('\n')).toBe(true);
    appendHistory((resumed as ExecutionRecord).history, { type: 'TaskStateExited' });
    await store.save(resumed as ExecutionRecord);
    expect(await store.load('d')).toEqual(plain(resumed as ExecutionRecord));
  });

  it('refuses a log with a damaged complete line, naming the file', async () => {
    const record = started('e');
    await store.save(record);
    appendFileSync(logOf('e'), 'not json\n');
    await expect(new ExecutionStore(dir, () => undefined).loadOpen()).rejects.toThrow(
      /e\.jsonl: line 2 of the execution log is damaged/,
    );
  });

  it('moves a closed execution to closed/ and removes its log', async () => {
    const record = started('f');
    await store.save(record);
    Object.assign(record, { status: 'SUCCEEDED', stopDate: record.startDate + 1000, output: '{}' });
    appendHistory(record.history, { type: 'ExecutionSucceeded' });
    await store.save(record);
    expect(existsSync(logOf('f'))).toBe(false);
    expect(await store.load('f')).toEqual(plain(record));
    expect(await store.has('f')).toBe(true);
    expect(await store.loadClosed()).toEqual([plain(record)]);
    expect(await store.loadOpen()).toEqual([]);
  });

  it('takes over an open execution an earlier version wrote whole as <name>.json', async () => {
    const record = started('g');
    step(record, 'First');
    writeFileSync(join(dir, 'g.json'), JSON.stringify(record));
    expect(await store.loadOpen()).toEqual([plain(record)]);
    expect(readdirSync(dir).filter((name) => name.startsWith('g'))).toEqual(['g.jsonl']);
    appendHistory(record.history, { type: 'TaskSucceeded' });
    await store.save(record);
    expect(await store.load('g')).toEqual(plain(record));
  });

  it('writes the whole record again for an execution whose log it closed to keep few open', async () => {
    const records = Array.from({ length: 70 }, (_, i) => started(`h${i}`));
    for (const record of records) await store.save(record);
    for (const record of records) {
      step(record, 'First');
      await store.save(record);
    }
    const first = records[0] as ExecutionRecord;
    appendHistory(first.history, { type: 'TaskSucceeded' });
    await store.save(first);
    expect(await store.load('h0')).toEqual(plain(first));
    expect(await store.load('h69')).toEqual(plain(records[69] as ExecutionRecord));
  });

  it('rewrites a log grown to several times its record as one line', async () => {
    const record = started('i');
    await store.save(record);
    for (let i = 0; i < 400; i += 1) {
      step(record, `State${i}`);
      await store.save(record);
    }
    expect(linesOf('i').length).toBeLessThan(400);
    expect(await store.load('i')).toEqual(plain(record));
  });
});
