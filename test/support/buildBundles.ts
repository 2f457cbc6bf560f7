import { buildLambdaBundles } from '../../scripts/local/lambdaBundles';

/**
 * Builds the Lambda bundles once before the stack tests (vitest globalSetup): on a fresh clone every
 * test file's stack would otherwise build them at the same time, each within its start-up timeout.
 */
export default async function setup(): Promise<void> {
  const bundles = await buildLambdaBundles();
  console.info(`Lambda bundles ${bundles.built ? 'built' : 'reused'} in ${Math.round(bundles.ms)} ms`);
}
