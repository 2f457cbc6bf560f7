import { tableIndexes } from '../../functions/adapters/tableSchema';
import { measureEmulatorAtRate, measureRoute, settle } from '../apiLatency';
import { ComplaintSeeder, measureQueue } from '../apiLoad';
import { measureQueueQueryCeiling } from '../dynamoCeiling';
import type { Figure } from '../report';
import { restingStack, runSuite, scaled } from '../suite';

/**
 * Agent API latency against table size: the tier-1 queue query at 1,000, 10,000 and 100,000 stored
 * complaints (a GSI query bounded by the page size: time must not grow with the table) at 200 req/s
 * and at a rate this machine sustains, and the complaint detail and one write (an internal note) at
 * 10,000 at 200 req/s. The raw
 * DynamoDB Local rate of the queue page query is measured beside them, and before each route the
 * DynamoDB request it sends is sent to DynamoDB Local alone at the same rate (its latency floor here):
 * they bound what the route can serve locally. Sizes and durations scale with BENCH_SCALE.
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
  const dynamoDb = stack.endpoints.dynamodb.endpoint;
  // The requests the routes send, as DynamoDB's JSON protocol carries them.
  const queuePage = {
    TableName: 'Complaints',
    IndexName: tableIndexes.queue.name,
    KeyConditionExpression: '#k = :k',
    ExpressionAttributeNames: { '#k': tableIndexes.queue.partitionKey },
    ExpressionAttributeValues: { ':k': { S: 'QUEUE#tier1' } },
    ScanIndexForward: true,
    Limit: 50,
  };
  const complaintPartition = {
    TableName: 'Complaints',
    KeyConditionExpression: 'PK = :pk',
    ExpressionAttributeValues: { ':pk': { S: `COMPLAINT#${templateId}` } },
    ConsistentRead: true,
  };
  // A note is written once per request: one put of the note under its id, conditional on there being
  // none. That put, numbered like the route's notes, on a partition of its own, is the floor.
  const noteWrite = {
    TableName: 'Complaints',
    Item: {
      PK: { S: `BENCHFLOOR#${templateId}` },
      SK: { S: 'TL!note-{seq}' },
      entity: { S: 'timeline' },
      kind: { S: 'note' },
      id: { S: 'note-{seq}' },
      text: { S: 'Checked the courier tracking ({seq}).' },
      at: { S: new Date().toISOString() },
    },
    ConditionExpression: 'attribute_not_exists(PK)',
    ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
  };
  // Until the stack answers the template's detail quickly again (the backlog of an overload is served).
  const settleStack = () =>
    settle(`${stack.endpoints.api.url}/complaints/${templateId}`, stack.endpoints.tokens.tier1);
  const queueFloor = (size: number, at: number) =>
    measureEmulatorAtRate('the queue page query', dynamoDb, 'Query', queuePage, at, seconds).then((fs) =>
      fs.map((f) => ({ ...f, conditions: `${f.conditions}, ${size} complaints stored` })),
    );
  for (const size of sizes) {
    process.stderr.write(`  storing ${size} complaints...\n`);
    await seeder.fillTo(size);
    await settleStack();
    const withSize = (f: Figure) => ({ ...f, conditions: `${f.conditions}, ${size} complaints stored` });
    figures.push(
      ...(await measureQueueQueryCeiling(stack.endpoints.dynamodb.endpoint, 'Complaints', 50)).map(withSize),
    );
    figures.push(...(await queueFloor(size, sustainedRate)));
    figures.push(...(await measureQueue(stack, size, sustainedRate, seconds)));
    if (size === 10_000 || size === scaled(10_000)) {
      figures.push(
        ...(
          await measureEmulatorAtRate(
            'the complaint partition query',
            dynamoDb,
            'Query',
            complaintPartition,
            rate,
            seconds,
          )
        ).map(withSize),
      );
      const detail = await measureRoute(
        'GET /complaints/{id}',
        `${stack.endpoints.api.url}/complaints/${templateId}`,
        stack.endpoints.tokens.tier1,
        rate,
        seconds,
      );
      figures.push(...detail.map(withSize));
      figures.push(
        ...(await measureEmulatorAtRate('the note write', dynamoDb, 'PutItem', noteWrite, rate, seconds)).map(
          withSize,
        ),
      );
      // A write through the whole API path: the version check (If-Match), the tier rule, the note's
      // conditional put. Each request another note (`{seq}`), on a complaint of its own: the template's
      // timeline, which the detail route reads, does not grow.
      await settleStack();
      const noteTarget = await seeder.spare();
      const note = await measureRoute(
        'POST /complaints/{id}/notes',
        `${stack.endpoints.api.url}/complaints/${noteTarget}/notes`,
        stack.endpoints.tokens.tier1,
        rate,
        seconds,
        {
          method: 'POST',
          body: { text: 'Checked the courier tracking ({seq}).' },
          headers: { 'if-match': `"${templateVersion}"` },
        },
      );
      figures.push(...note.map(withSize));
      // Above this machine's capacity the notes leave a backlog the queue's floor must not inherit.
      await settleStack();
    }
    // Last: above this machine's capacity, it leaves a backlog the next size must not inherit.
    figures.push(...(await queueFloor(size, rate)));
    await settleStack();
    figures.push(...(await measureQueue(stack, size, rate, seconds)));
    await settleStack();
  }
  return figures;
});
