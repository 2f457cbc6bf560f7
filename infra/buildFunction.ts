import { buildLambdaFunction } from './bundling';

// `node --import tsx infra/buildFunction.ts <entry> <outdir>`: builds one function's folder, as
// `buildLambdaFunction` does. CDK's local bundling is synchronous and esbuild runs plugins only in its
// asynchronous API, so `buildLambdaFunctionSync` runs this in a child process and waits for it.
const [entry, outdir] = process.argv.slice(2);
if (!entry || !outdir) {
  console.error('usage: node --import tsx infra/buildFunction.ts <entry> <outdir>');
  process.exit(2);
}
await buildLambdaFunction(entry, outdir);
