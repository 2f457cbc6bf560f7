import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { openApiDocument } from '../api/openapi';

/**
 * `GET /openapi.json`, a function of its own: the document is generated from the route table and the
 * zod schemas (zod's JSON Schema generator and the response schemas, about 25 KB of the API router's
 * cold start when the router served it), and the function holds no table, secret or client, since a
 * public route needs none. Generated once per execution environment.
 */
let body: string | undefined;

export const handler = async (): Promise<APIGatewayProxyStructuredResultV2> => {
  body ??= JSON.stringify(openApiDocument());
  return { statusCode: 200, headers: { 'content-type': 'application/json' }, body };
};

/** The local stack's entry point, as every bundle has one: this function needs nothing from the runtime. */
export const handlerFor = () => handler;
