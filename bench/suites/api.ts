import { measureRoute, settle } from '../apiLatency';
import { ComplaintSeeder, measureQueue } from '../apiLoad';
import { measureQueueQueryCeiling } from '../dynamoCeiling';
import type { Figure } from '../report';
import { restingStack, runSuite, scaled } from '../suite';

/**
 * Agent API latency against table size: the tier-1 queue query at 1,000, 10,000 and 100,000 stored
 * complaints (a GSI query bounded by the page size: time must not grow with the table) at 200 req/s
 * and at a rate this machine sustains, and the complaint detail and one write (an internal note) at
 * 10,000 at 200 req/s. The raw
 * DynamoDB Local rate of the queue page query is measured beside them: it bounds what the route can serve
 * locally. Sizes and durations scale with BENCH_SCALE.
 */
await runSuite(restingStack, async (stack) => {
  const figures: Figure[] = [];
  const rate = 200;
  const sustainedRate = 50;
  const seconds = scaled(20);
  const seeder = new ComplaintSeeder(stack);
  const templateId = await seeder.start();
  const templateVersion = seeder.templateVersion;
  // BENCH_API_SIZES=10000 measures one size (seeding 100,000 takes a while on a loaded machine).
  const sizes = process.env.BENCH_API_SIZES?.split(',').map(Number) ?? [
    scaled(1000),
    scaled(10_000),
    scaled(100_000),
  ];
  for (const size of sizes) {
    process.stderr.write(`  storing ${size} complaints...\n`);
    await seeder.fillTo(size);
    await settle(`${stack.endpoints.api.url}/complaints/${templateId}`, stack.endpoints.tokens.tier1);
    const withSize = (f: Figure) => ({ ...f, conditions: `${f.conditions}, ${size} complaints stored` });
    figures.push(
      ...(await measureQueueQueryCeiling(stack.endpoints.dynamodb.endpoint, 'Complaints', 50)).map(withSize),
    );
    figures.push(...(await measureQueue(stack, size, sustainedRate, seconds)));
    if (size === 10_000 || size === scaled(10_000)) {
      const detail = await measureRoute(
        'GET /complaints/{id}',
        `${stack.endpoints.api.url}/complaints/${templateId}`,
        stack.endpoints.tokens.tier1,
        rate,
        seconds,
      );
      figures.push(...detail.map(withSize));
      // A write through the whole API path: the version check (If-Match), the tier rule, one append.
      // The same note each time: its entry id is derived from the text and version, so it lands on
      // one key instead of growing the timeline the detail route reads.
      const note = await measureRoute(
        'POST /complaints/{id}/notes',
        `${stack.endpoints.api.url}/complaints/${templateId}/notes`,
        stack.endpoints.tokens.tier1,
        rate,
        seconds,
        {
          method: 'POST',
          body: { text: 'Checked the courier tracking.' },
          headers: { 'if-match': `"${templateVersion}"` },
        },
      );
      figures.push(...note.map(withSize));
    }
    // Last: above this machine's capacity, it leaves a backlog the next size must not inherit.
    figures.push(...(await measureQueue(stack, size, rate, seconds)));
    await settle(`${stack.endpoints.api.url}/complaints/${templateId}`, stack.endpoints.tokens.tier1);
  }
  return figures;
});
