import { build } from 'esbuild';
import { esbuildOptionsOf, handlerEntries, lambdaBundling } from './infra/bundling.ts';
const [fn, filter] = process.argv.slice(2);
const r = await build({ ...esbuildOptionsOf(lambdaBundling), entryPoints: [handlerEntries[fn]], outfile: `/tmp/an/${fn}.mjs`, metafile: true, logLevel: 'silent', sourcemap: false });
const out = Object.values(r.metafile.outputs)[0];
const rows = Object.entries(out.inputs).filter(([p]) => p.includes(filter)).sort((a, b) => b[1].bytesInOutput - a[1].bytesInOutput);
for (const [p, { bytesInOutput }] of rows.slice(0, 12)) console.log(Math.round(bytesInOutput / 1024), p.replace(/.*node_modules\//, ''));
