import * as z from '../core/schema';
import {
  atRiskReportQuerySchema,
  csatReportQuerySchema,
  recurringReportQuerySchema,
  slaReportQuerySchema,
} from './reportSchemas';
import {
  atRiskReportSchema,
  clearedMarkSchema,
  complaintDetailSchema,
  complaintListSchema,
  complaintWriteSchema,
  csatReportSchema,
  meSchema,
  quarantineListSchema,
  recurringReportSchema,
  responseRegistry,
  slaReportSchema,
  workloadReportSchema,
} from './responseSchemas';
import { apiRoutes, apiScope, type RouteName, type RouteSpec } from './routes';
import {
  approvalRequestSchema,
  claimRequestSchema,
  clearUndeliverableRequestSchema,
  closeRequestSchema,
  customerComplaintsQuerySchema,
  escalationRequestSchema,
  followUpRequestSchema,
  infoRequestSchema,
  listQuerySchema,
  mergeRequestSchema,
  noteRequestSchema,
  quarantineListQuerySchema,
  replyRequestSchema,
  resolutionRequestSchema,
  surveyQuerySchema,
} from './schemas';

type Schema = z.ZodMiniType;

/** The zod schemas of each route's body and query, as the handlers parse them. */
export const routeSchemas: Partial<Record<RouteName, { body?: Schema; query?: Schema; response?: Schema }>> =
  {
    getMe: { response: meSchema },
    listComplaints: { query: listQuerySchema, response: complaintListSchema },
    getComplaint: { response: complaintDetailSchema },
    listCustomerComplaints: { query: customerComplaintsQuerySchema, response: complaintListSchema },
    claimComplaint: { body: claimRequestSchema, response: complaintWriteSchema },
    replyToCustomer: { body: replyRequestSchema, response: complaintWriteSchema },
    addNote: { body: noteRequestSchema, response: complaintWriteSchema },
    mergeComplaint: { body: mergeRequestSchema, response: complaintWriteSchema },
    proposeResolution: { body: resolutionRequestSchema, response: complaintWriteSchema },
    decideApproval: { body: approvalRequestSchema, response: complaintWriteSchema },
    requestInfo: { body: infoRequestSchema, response: complaintWriteSchema },
    escalate: { body: escalationRequestSchema, response: complaintWriteSchema },
    recordFollowUp: { body: followUpRequestSchema, response: complaintWriteSchema },
    closeComplaint: { body: closeRequestSchema, response: complaintWriteSchema },
    clearUndeliverable: { body: clearUndeliverableRequestSchema, response: clearedMarkSchema },
    showSurvey: { query: surveyQuerySchema },
    listQuarantine: { query: quarantineListQuerySchema, response: quarantineListSchema },
    slaReport: { query: slaReportQuerySchema, response: slaReportSchema },
    recurringReport: { query: recurringReportQuerySchema, response: recurringReportSchema },
    atRiskReport: { query: atRiskReportQuerySchema, response: atRiskReportSchema },
    csatReport: { query: csatReportQuerySchema, response: csatReportSchema },
    workloadReport: { response: workloadReportSchema },
  };

const jsonSchema = (schema: Schema) =>
  z.toJSONSchema(schema, {
    target: 'draft-2020-12',
    unrepresentable: 'any',
    io: 'input',
    // zod leaves the default of a value it transforms out of the input's schema (an integer query
    // parameter is read from its text: `queryInteger`); it is what a request without it gets.
    override: ({ zodSchema, jsonSchema }) => {
      const def = zodSchema._zod.def;
      if (def.type === 'default' && jsonSchema.default === undefined) jsonSchema.default = def.defaultValue;
    },
  }) as Record<string, unknown>;

/** The registered response schemas as components (without the `$id`/`$schema` zod adds to each). */
const responseComponents = () =>
  Object.fromEntries(
    Object.entries(
      z.toJSONSchema(responseRegistry, {
        target: 'draft-2020-12',
        io: 'output',
        uri: (id) => `#/components/schemas/${id}`,
      }).schemas,
    ).map(([id, { $id: _id, $schema: _schema, ...schema }]) => [id, schema]),
  );
const responseRef = (schema: Schema) => {
  const id = responseRegistry.get(schema)?.id;
  if (!id) throw new Error('response schemas are registered in responseRegistry');
  return { $ref: `#/components/schemas/${id}` };
};

const problemRef = { $ref: '#/components/schemas/Problem' };
const problemResponse = (description: string) => ({
  description,
  content: { 'application/problem+json': { schema: problemRef } },
});

/** Route-key-safe component name: `proposeResolution` -> `ProposeResolutionRequest`, `slaReport` -> `SlaReportQuery`. */
const componentName = (name: string, part: 'Request' | 'Query' = 'Request') =>
  `${name[0]?.toUpperCase()}${name.slice(1)}${part}`;

/** Writes on a complaint: they carry its version (If-Match or body `version`), else 428. */
const isComplaintWrite = (route: RouteSpec) =>
  route.method === 'POST' && route.path.startsWith('/complaints/{id}/');

/**
 * The OpenAPI 3.1 document of the agent API, generated from the route table (paths, methods, roles)
 * and the zod schemas the handlers validate with, so the documentation cannot drift from the code.
 */
export function openApiDocument() {
  const schemas: Record<string, unknown> = {
    ...responseComponents(),
    Problem: {
      type: 'object',
      description: 'RFC 9457 problem details',
      properties: {
        type: { type: 'string' },
        title: { type: 'string' },
        status: { type: 'integer' },
        detail: { type: 'string' },
        currentVersion: { type: 'integer', description: 'On 409: the complaint version now stored' },
        complaintStatus: {
          type: 'string',
          description:
            'On 409: the complaint’s status (e.g. awaiting_agent); `status` is always the HTTP status code',
        },
        requiredRole: {
          type: 'string',
          description: 'On 403 for a write below the complaint’s tier: the lowest role that may write to it',
        },
        issues: {
          type: 'array',
          items: {
            type: 'object',
            properties: { path: { type: 'string' }, message: { type: 'string' }, code: { type: 'string' } },
          },
        },
      },
      required: ['title', 'status', 'detail'],
    },
  };
  const paths: Record<string, Record<string, unknown>> = {};
  for (const [name, route] of Object.entries(apiRoutes) as [RouteName, RouteSpec][]) {
    const spec = routeSchemas[name];
    const pathParams = [...route.path.matchAll(/\{(\w+)\}/g)].map((m) => ({
      name: m[1],
      in: 'path',
      required: true,
      schema: { type: 'string' },
    }));
    const query = spec?.query ? jsonSchema(spec.query) : undefined;
    const queryParams = Object.entries((query?.properties ?? {}) as Record<string, unknown>).map(
      ([param, schema]) => ({
        name: param,
        in: 'query',
        required: ((query?.required as string[] | undefined) ?? []).includes(param),
        schema,
      }),
    );
    const write = isComplaintWrite(route);
    const ifMatch = write
      ? [
          {
            name: 'If-Match',
            in: 'header',
            required: false,
            description:
              'ETag of the complaint version acted on (or send `version` in the body): one quoted version number; a weak tag, a list or * is a 400',
            schema: { type: 'string', pattern: '^"[0-9]+"$', example: '"3"' },
          },
        ]
      : [];
    if (spec?.body) schemas[componentName(name)] = jsonSchema(spec.body);
    // The query as one object too, so a client checks a whole filter form against it.
    if (query) schemas[componentName(name, 'Query')] = query;
    const roles = route.public ? 'Public (no bearer token).' : `Roles: ${route.roles.join(', ')}.`;
    paths[route.path] ??= {};
    (paths[route.path] as Record<string, unknown>)[route.method.toLowerCase()] = {
      operationId: name,
      summary: route.summary,
      description: `${roles}${write ? ' Requires the complaint version (If-Match or body `version`): 428 without it, 409 when stale.' : ''}`,
      ...(route.public ? { security: [] } : { security: [{ bearerJwt: [apiScope] }] }),
      parameters: [...pathParams, ...queryParams, ...ifMatch],
      ...(spec?.body
        ? {
            requestBody: {
              required: name !== 'claimComplaint',
              content: {
                'application/json': { schema: { $ref: `#/components/schemas/${componentName(name)}` } },
              },
            },
          }
        : {}),
      responses: {
        [route.method === 'GET' ? '200' : '2XX']: {
          description: 'Success',
          content: {
            'application/json': spec?.response ? { schema: responseRef(spec.response) } : {},
            ...(route.csv ? { 'text/csv': {} } : {}),
          },
        },
        '400': problemResponse('Invalid request (validation issues listed)'),
        ...(route.public ? {} : { '401': problemResponse('Missing or invalid bearer token') }),
        '403': problemResponse(
          write
            ? 'The caller’s role may not do this, or is below the complaint’s tier (every write: tier or above, or the manager)'
            : 'The caller’s role may not do this',
        ),
        '404': problemResponse('Not found'),
        '409': problemResponse(
          'Conflict: stale version or the complaint moved on (currentVersion and complaintStatus given)',
        ),
        ...(spec?.body && !route.public
          ? { '415': problemResponse('The body is not sent as application/json (UTF-8)') }
          : {}),
        ...(write
          ? { '428': problemResponse('The complaint version is missing (If-Match or body version)') }
          : {}),
      },
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Complaint resolution: agent API',
      version: '1',
      description:
        'Agents act on complaints through this API. Writes carry the complaint version (optimistic concurrency).',
    },
    paths,
    components: {
      schemas,
      securitySchemes: {
        bearerJwt: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description: `Cognito access token with the scope ${apiScope}; the role comes from cognito:groups.`,
        },
      },
    },
    security: [{ bearerJwt: [apiScope] }],
  };
}
