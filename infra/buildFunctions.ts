import { dirname } from 'node:path';
import { buildLambdaBundles } from '../scripts/local/lambdaBundles';
import { handlerEntries } from './bundling';

// `node --import tsx infra/buildFunctions.ts`: builds every function's folder (or reuses the build of
// unchanged inputs, `buildLambdaBundles`) and prints `{ [entry]: folder }` as JSON on stdout. CDK's
// local bundling is synchronous and esbuild runs plugins only in its asynchronous API, so
// `buildLambdaFunctionSync` runs this in a child process once per synth and copies each folder.
const { files } = await buildLambdaBundles();
const folders = Object.fromEntries(
  Object.entries(handlerEntries).map(([name, entry]) => [entry, dirname(files[name as keyof typeof files])]),
);
process.stdout.write(JSON.stringify(folders));
