import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { sdkPackageVersion } from '../../infra/sdkPackageVersion';
import { fileTree } from '../support/fileTree';

// Clients laid out as the SDK publishes them: one whose runtime config reads only its manifest's
// version (as every client does), one that reads another field too, and a module outside the SDK
// that imports a manifest the same way.
const manifest = (name: string) =>
  JSON.stringify({ name, version: '3.1.4', module: './dist-es/index.js', description: 'MANIFEST_MARKER' });
const files: Record<string, string> = {
  'node_modules/@aws-sdk/client-version/package.json': manifest('@aws-sdk/client-version'),
  'node_modules/@aws-sdk/client-version/dist-es/index.js': [
    'import packageInfo from "../package.json";',
    'export const agent = () => ({ clientVersion: packageInfo.version, again: packageInfo.version });',
  ].join('\n'),
  'node_modules/@aws-sdk/client-name/package.json': manifest('@aws-sdk/client-name'),
  'node_modules/@aws-sdk/client-name/dist-es/index.js': [
    'import packageInfo from "../package.json";',
    'export const agent = () => ({ clientVersion: packageInfo.version, name: packageInfo.name });',
  ].join('\n'),
  'node_modules/other/package.json': manifest('other'),
  'node_modules/other/index.js':
    'import packageInfo from "./package.json";\nexport const version = packageInfo.version;',
  'entry.js': [
    'import { agent as versionOnly } from "@aws-sdk/client-version";',
    'import { agent as withName } from "@aws-sdk/client-name";',
    'import { version } from "other/index.js";',
    'export const run = () => ({ versionOnly: versionOnly(), withName: withName(), other: version });',
  ].join('\n'),
  'entryVersion.js': 'export { agent } from "@aws-sdk/client-version";',
};

const tree = fileTree('sdk-package-version-', files);

async function bundle(name: string, entry: string) {
  const dir = tree();
  const outdir = join(dir, name);
  await build({
    absWorkingDir: dir,
    entryPoints: { index: entry },
    bundle: true,
    format: 'esm',
    platform: 'node',
    mainFields: ['module', 'main'],
    outdir,
    outExtension: { '.js': '.mjs' },
    logLevel: 'silent',
    plugins: [sdkPackageVersion],
  });
  return {
    text: readFileSync(join(outdir, 'index.mjs'), 'utf8'),
    module: (await import(pathToFileURL(join(outdir, 'index.mjs')).href)) as Record<string, () => unknown>,
  };
}

describe('sdkPackageVersion (esbuild plugin)', () => {
  it("bundles only the version of a client's manifest when the client reads nothing else", async () => {
    const { text, module } = await bundle('version', 'entryVersion.js');
    expect(text).not.toContain('MANIFEST_MARKER');
    expect(module.agent?.()).toEqual({ clientVersion: '3.1.4', again: '3.1.4' });
  });

  it('leaves the whole manifest where a client reads another field, and outside the SDK', async () => {
    const { text, module } = await bundle('all', 'entry.js');
    // The two manifests read whole: client-name's (reads `.name`) and other's (not the SDK).
    expect(text.match(/MANIFEST_MARKER/g)).toHaveLength(2);
    expect(module.run?.()).toEqual({
      versionOnly: { clientVersion: '3.1.4', again: '3.1.4' },
      withName: { clientVersion: '3.1.4', name: '@aws-sdk/client-name' },
      other: '3.1.4',
    });
  });
});
