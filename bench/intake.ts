import type { LocalStack } from '../scripts/local/localStack';
import type { Figure } from './report';
import { sendPooled } from './smtpLoad';

/**
 * SMTP intake throughput: `count` distinct customer mails sent over `connections` SMTP connections, timed
 * until every one is stored and has its Step Functions execution started (the intake handler does both
 * before it returns; the acknowledgement is the execution's first step).
 */
export async function measureIntake(stack: LocalStack, count = 500, connections = 5): Promise<Figure[]> {
  const { supportAddress } = stack.endpoints;
  const runId = Date.now().toString(36);
  const mails = Array.from({ length: count }, (_, i) => ({
    from: `customer${i}@bench.example`,
    to: supportAddress,
    subject: `Order ${runId}-${i} arrived damaged`,
    text: `Hello,\n\nmy order ${runId}-${i} arrived with a broken lid. Please help.\n`,
  }));
  const started = performance.now();
  await sendPooled(stack, mails, connections);
  const accepted = performance.now();
  await stack.drainIntake();
  const done = performance.now();
  const seconds = (done - started) / 1000;
  return [
    {
      benchmark: 'intake',
      metric: 'messages/s (SMTP -> stored + execution started)',
      value: count / seconds,
      unit: 'msg/s',
      conditions: `${count} mails, ${connections} SMTP connections`,
    },
    {
      benchmark: 'intake',
      metric: 'SMTP accept rate',
      value: count / ((accepted - started) / 1000),
      unit: 'msg/s',
      conditions: '250 after durable store',
    },
  ];
}
