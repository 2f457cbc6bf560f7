import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyEventV2WithJWTAuthorizer, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { JWTPayload } from 'jose';
import {
  type ApiFunction,
  apiRoutes,
  apiScope,
  corsAllowHeaders,
  functionOf,
  type RouteSpec,
} from '../../functions/api/routes';
import { crashPoint } from './crashPoints';
import type { DevIdentityProvider } from './devTokens';

export type ApiHandler = (
  event: APIGatewayProxyEventV2WithJWTAuthorizer,
) => Promise<APIGatewayProxyStructuredResultV2>;

export interface LocalApiGatewayOptions {
  /** The functions behind the routes, by name (each route's `servedBy`, as the HTTP API integrates them). */
  handlers: Record<ApiFunction, ApiHandler>;
  identity: DevIdentityProvider;
  host?: string;
  port?: number;
  /** Browser origins allowed to call the API (the console's), answered as the HTTP API's CORS settings do. */
  corsOrigins?: readonly string[];
  /** Extra unauthenticated routes served by the gateway itself (e.g. docs), checked before the API routes. */
  extraRoutes?: Record<string, (req: IncomingMessage, res: ServerResponse) => void>;
}

// HTTP API's payload limit.
const maxBodyBytes = 10 * 1024 * 1024;

const compiled = (Object.values(apiRoutes) as RouteSpec[]).map((r) => ({
  method: r.method,
  public: r.public === true,
  servedBy: functionOf(r),
  routeKey: `${r.method} ${r.path}`,
  names: [...r.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1] as string),
  // HTTP API matches a route's path exactly (no greedy variable here): `/complaints/` is no
  // `GET /complaints` and answers `{"message":"Not Found"}` (404), as does any path no route names.
  pattern: new RegExp(`^${r.path.replace(/\{\w+\}/g, '([^/]+)')}$`),
}));

function matchRoute(method: string, path: string) {
  for (const route of compiled) {
    if (route.method !== method) continue;
    const m = route.pattern.exec(path);
    if (!m) continue;
    const pathParameters: Record<string, string> = {};
    try {
      route.names.forEach((n, i) => {
        pathParameters[n] = decodeURIComponent(m[i + 1] as string);
      });
    } catch {
      // Malformed percent-encoding: API Gateway rejects the request before any integration runs.
      return 'malformed' as const;
    }
    return { routeKey: route.routeKey, pathParameters, public: route.public, servedBy: route.servedBy };
  }
  return undefined;
}

/** API Gateway passes verified claims to the Lambda as strings; arrays become "[a b]". */
function claimsAsGatewayGivesThem(payload: JWTPayload): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(payload)) {
    out[k] = Array.isArray(v) ? `[${v.join(' ')}]` : typeof v === 'object' ? JSON.stringify(v) : String(v);
  }
  return out;
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(typeof body === 'string' ? body : JSON.stringify(body));
}

async function readBody(req: IncomingMessage): Promise<Buffer | 'too-large'> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > maxBodyBytes) return 'too-large';
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

const textual = /^(application\/(json|problem\+json|x-www-form-urlencoded|xml)|text\/)/;

/**
 * A real HTTP server that behaves like an HTTP API with a JWT authorizer in front of one Lambda:
 * matches the route table, verifies the bearer token (401 as AWS answers it, 403 without the scope),
 * builds the payload-format-2.0 event and invokes the same exported handler the Lambda runs.
 */
export async function startLocalApiGateway(
  options: LocalApiGatewayOptions,
): Promise<{ url: string; server: Server; close(): Promise<void> }> {
  const server = createServer(async (req, res) => {
    try {
      // The path as sent, not as a URL parser resolves it: `new URL` would turn `/complaints/../me` into
      // `/me` and `//complaints` into a host. API Gateway routes the request's path, and the function
      // sees the same path its route was matched on.
      const target = req.url ?? '/';
      const queryAt = target.indexOf('?');
      const url = {
        pathname: queryAt < 0 ? target : target.slice(0, queryAt),
        search: queryAt < 0 ? '' : target.slice(queryAt),
        searchParams: new URLSearchParams(queryAt < 0 ? '' : target.slice(queryAt + 1)),
      };
      const method = req.method ?? 'GET';
      // Repeated headers joined with commas, as API Gateway hands them on (payload format 2.0). Node keeps
      // only the first of a repeated Authorization or Content-Type: two bearer tokens would then pass as
      // the first alone, where API Gateway sees one value that is no token and answers 401.
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headersDistinct)) {
        if (v !== undefined) headers[k] = v.join(',');
      }
      const origin = req.headers.origin;
      if (origin && options.corsOrigins?.includes(origin)) {
        res.setHeader('access-control-allow-origin', origin);
        res.setHeader('vary', 'origin');
        if (method === 'OPTIONS' && req.headers['access-control-request-method']) {
          res.writeHead(204, {
            'access-control-allow-methods': 'GET,POST',
            'access-control-allow-headers': corsAllowHeaders.join(','),
            'access-control-max-age': '600',
          });
          return res.end();
        }
        res.setHeader('access-control-expose-headers', 'etag');
      }
      const extra = options.extraRoutes?.[`${method} ${url.pathname}`];
      if (extra) return extra(req, res);
      const route = matchRoute(method, url.pathname);
      if (!route) return send(res, 404, { message: 'Not Found' });
      if (route === 'malformed') return send(res, 400, { message: 'Bad Request' });

      // Public routes (no authorizer) reach the Lambda without claims, as on AWS.
      let payload: JWTPayload = {};
      let scopes: string[] = [];
      if (!route.public) {
        const auth = headers.authorization ?? '';
        // The identity source holds the token alone or after `Bearer`, as API Gateway reads it.
        const token = /^(?:Bearer\s+)?(\S+)$/i.exec(auth)?.[1];
        try {
          if (!token) throw new Error('missing token');
          payload = await options.identity.verify(token);
        } catch {
          return send(res, 401, { message: 'Unauthorized' }, { 'www-authenticate': 'Bearer' });
        }
        scopes = String(payload.scope ?? '').split(' ');
        if (!scopes.includes(apiScope)) return send(res, 403, { message: 'Forbidden' });
      }

      const raw = await readBody(req);
      if (raw === 'too-large') return send(res, 413, { message: 'Request Entity Too Large' });
      const contentType = headers['content-type'] ?? '';
      const isText = raw.length === 0 || textual.test(contentType);
      // No prototype: a parameter named `__proto__` or `constructor` is a key of its own, as in the JSON
      // API Gateway hands the Lambda (an object literal drops `__proto__` and finds `constructor` set).
      const query: Record<string, string> = Object.create(null);
      for (const [k, v] of url.searchParams) query[k] = Object.hasOwn(query, k) ? `${query[k]},${v}` : v;
      const now = new Date();
      const event: APIGatewayProxyEventV2WithJWTAuthorizer = {
        version: '2.0',
        routeKey: route.routeKey,
        rawPath: url.pathname,
        rawQueryString: url.search.slice(1),
        headers,
        ...(url.search ? { queryStringParameters: query } : {}),
        pathParameters: route.pathParameters,
        requestContext: {
          accountId: '000000000000',
          apiId: 'local',
          authorizer: {
            principalId: '',
            integrationLatency: 0,
            jwt: { claims: claimsAsGatewayGivesThem(payload), scopes },
          },
          domainName: String(req.headers.host ?? 'localhost'),
          domainPrefix: 'localhost',
          http: {
            method,
            path: url.pathname,
            protocol: `HTTP/${req.httpVersion}`,
            sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
            userAgent: String(req.headers['user-agent'] ?? ''),
          },
          requestId: randomUUID(),
          routeKey: route.routeKey,
          stage: '$default',
          time: now.toISOString(),
          timeEpoch: now.getTime(),
        },
        ...(raw.length > 0 ? { body: isText ? raw.toString('utf8') : raw.toString('base64') } : {}),
        isBase64Encoded: !isText,
      };
      const result = await options.handlers[route.servedBy](event);
      const body = result.body ?? '';
      res.writeHead(result.statusCode ?? 200, (result.headers ?? {}) as Record<string, string>);
      // The fault harness can kill the stack right after a write was answered 2xx.
      if (req.method === 'POST' && (result.statusCode ?? 200) < 300) {
        res.once('finish', () => crashPoint('api.afterWriteAnswered'));
      }
      res.end(result.isBase64Encoded ? Buffer.from(body, 'base64') : body);
    } catch {
      // Like API Gateway when the integration fails: the Lambda's error never reaches the client.
      send(res, 500, { message: 'Internal Server Error' });
    }
  });
  // Idle keep-alive connections stay open longer than clients keep them (fetch: 4 s), as API Gateway's
  // do: with Node's 5 s default, a client reusing a connection on a busy machine could meet the
  // server's close and get ECONNRESET for a request the server never saw.
  server.keepAliveTimeout = 60_000;
  server.headersTimeout = 65_000;
  // A burst of new connections (a thousand agents at once) queues for accept instead of overflowing
  // Node's default backlog of 511, whose dropped handshakes clients see as resets.
  await new Promise<void>((resolve) =>
    server.listen({ port: options.port ?? 0, host: options.host ?? '127.0.0.1', backlog: 4096 }, resolve),
  );
  const { address, port } = server.address() as AddressInfo;
  return {
    url: `http://${address}:${port}`,
    server,
    // Answers in flight get a second to finish; then every connection goes, kept-alive ones included.
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
        setTimeout(() => server.closeAllConnections(), 1_000).unref();
      }),
  };
}
