import { describe, expect, it } from 'vitest';
import { openApiDocument, routeSchemas } from '../../functions/api/openapi';
import { apiRoutes, apiScope, type RouteName } from '../../functions/api/routes';

describe('GET /openapi.json', () => {
  const doc = openApiDocument();
  const operation = (name: RouteName) => {
    const route = apiRoutes[name];
    return (doc.paths[route.path] as Record<string, Record<string, unknown>>)[route.method.toLowerCase()];
  };

  it('documents every route of the route table with its roles', () => {
    expect(doc.openapi).toBe('3.1.0');
    for (const name of Object.keys(apiRoutes) as RouteName[]) {
      const op = operation(name);
      expect(op, name).toBeDefined();
      expect(op?.operationId).toBe(name);
      const route = apiRoutes[name];
      if (!('public' in route)) expect(op?.description).toContain(route.roles.join(', '));
    }
    expect(doc.components.securitySchemes.bearerJwt).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(operation('getComplaint')?.security).toEqual([{ bearerJwt: [apiScope] }]);
    expect(operation('openApi')?.security).toEqual([]);
  });

  it('carries each POST body schema and the 428 answer of complaint writes', () => {
    const posts = (Object.keys(apiRoutes) as RouteName[]).filter(
      (n) =>
        apiRoutes[n].method === 'POST' &&
        routeSchemas[n]?.body &&
        apiRoutes[n].path.startsWith('/complaints/{id}/'),
    );
    expect(posts.length).toBeGreaterThanOrEqual(10);
    for (const name of posts) {
      const body = operation(name)?.requestBody as { content: Record<string, { schema: { $ref: string } }> };
      const ref = body.content['application/json']?.schema.$ref as string;
      const schema = (doc.components.schemas as Record<string, { properties?: Record<string, unknown> }>)[
        ref.replace('#/components/schemas/', '')
      ];
      expect(schema, name).toBeDefined();
      expect(JSON.stringify(schema)).toContain('version');
      expect(operation(name)?.responses).toHaveProperty('428');
    }
    expect(JSON.stringify(doc.components.schemas)).toContain('"refund"');
    // A write on a customer's address (not a complaint) has its body, and no version to send.
    expect(operation('clearUndeliverable')?.requestBody).toBeDefined();
    expect(operation('clearUndeliverable')?.responses).not.toHaveProperty('428');
  });

  it('lists the GET /complaints filters as query parameters', () => {
    const names = ((operation('listComplaints')?.parameters ?? []) as { name: string }[]).map((p) => p.name);
    expect(names).toEqual(
      expect.arrayContaining(['queue', 'status', 'assignee', 'customer', 'reference', 'cursor']),
    );
  });
});
