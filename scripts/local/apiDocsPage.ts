import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * `GET /docs` on the local gateway: a self-contained page (no CDN, no dependency) that fetches
 * `/openapi.json` from the same server and renders each operation with its roles, parameters, body
 * schema and error answers.
 */
const page = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Agent API</title>
<style>
body{font:15px/1.45 system-ui,sans-serif;max-width:960px;margin:2rem auto;padding:0 1rem;color:#222}
details{border:1px solid #ddd;border-radius:6px;margin:.5rem 0;padding:.4rem .8rem}
summary{cursor:pointer}.m{display:inline-block;min-width:3.5rem;font-weight:700}
.GET{color:#0a6}.POST{color:#06c}code,pre{background:#f5f5f5;border-radius:4px}
pre{padding:.6rem;overflow:auto;font-size:13px}td,th{text-align:left;padding:2px 8px}
</style></head><body><h1>Agent API</h1><p id="intro">Loading <a href="/openapi.json">/openapi.json</a>…</p>
<div id="ops"></div>
<script>
const esc = (s) => String(s ?? '').replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);
fetch('/openapi.json').then((r) => r.json()).then((doc) => {
  document.getElementById('intro').innerHTML = esc(doc.info.description) + ' <a href="/openapi.json">OpenAPI 3.1 JSON</a>';
  const html = [];
  for (const [path, ops] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(ops)) {
      const m = method.toUpperCase();
      const params = (op.parameters || []).map((p) => '<tr><td><code>' + esc(p.name) + '</code></td><td>' + esc(p.in) + '</td><td>' + esc(p.schema && (p.schema.type || (p.schema.enum || []).join(' | '))) + '</td><td>' + esc(p.description) + '</td></tr>').join('');
      const ref = op.requestBody && op.requestBody.content['application/json'].schema.$ref;
      const body = ref ? '<h4>Body</h4><pre>' + esc(JSON.stringify(doc.components.schemas[ref.split('/').pop()], null, 2)) + '</pre>' : '';
      const responses = Object.entries(op.responses).map(([code, r]) => '<tr><td>' + esc(code) + '</td><td>' + esc(r.description) + '</td></tr>').join('');
      html.push('<details><summary><span class="m ' + m + '">' + m + '</span><code>' + esc(path) + '</code> — ' + esc(op.summary) + '</summary><p>' + esc(op.description) + '</p>' + (params ? '<h4>Parameters</h4><table>' + params + '</table>' : '') + body + '<h4>Responses</h4><table>' + responses + '</table></details>');
    }
  }
  document.getElementById('ops').innerHTML = html.join('');
});
</script></body></html>`;

export function serveApiDocs(_req: IncomingMessage, res: ServerResponse) {
  res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(page);
}
