import { createServer, request } from 'node:http';
import { type HttpEndpoint, listenLocally } from '../../scripts/local/httpEndpoint';

/**
 * Decides whether DynamoDB refuses a request: the name of the error to answer with, or undefined to
 * pass it on. `operation` is the API action (`TransactWriteItems`), `body` the request's JSON.
 */
export type DynamoDbFault = (operation: string, body: string) => string | undefined;

/**
 * A server in front of DynamoDB Local (the local stack's `dynamoDbFront`) that answers the requests
 * `fault` picks with an error of that name, as DynamoDB answers a refused request (HTTP 400 and the
 * error's type in the body, which the SDK turns into an error of that `name`), and forwards every other
 * request as it is. It fails a step in the middle of its work, where wrapping the step's handler cannot.
 */
export async function startDynamoDbFaults(target: string, fault: DynamoDbFault): Promise<HttpEndpoint> {
  const upstream = new URL(target);
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const operation = String(req.headers['x-amz-target'] ?? '').split('.')[1] ?? '';
      const refused = fault(operation, body.toString('utf8'));
      if (refused) {
        res.writeHead(400, { 'content-type': 'application/x-amz-json-1.0' });
        res.end(
          JSON.stringify({ __type: `com.amazonaws.dynamodb.v20120810#${refused}`, message: 'injected' }),
        );
        return;
      }
      const forward = request(
        {
          host: upstream.hostname,
          port: upstream.port,
          method: req.method,
          path: req.url,
          headers: req.headers,
        },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      forward.on('error', (e) => {
        res.writeHead(502);
        res.end(String(e));
      });
      forward.end(body);
    });
  });
  server.keepAliveTimeout = 60_000;
  return listenLocally(server, 0, upstream.hostname);
}
