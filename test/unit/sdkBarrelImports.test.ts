import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { sdkBarrelImports } from '../../infra/sdkBarrelImports';
import { fileTree } from '../support/fileTree';
import { staticImports } from '../support/staticImports';

// Two packages laid out as the SDK publishes them (ES modules under dist-es): a barrel that re-exports
// (by name, renamed, `export *`) and declares names of its own, a client the entry imports, and a
// client only an `import()` reaches, which needs a name no other module uses. One module of the barrel's
// package imports from a barrel of its own by a relative path (as `@aws-sdk/core` does).
const files: Record<string, string> = {
  'node_modules/@smithy/fake/package.json': JSON.stringify({
    name: '@smithy/fake',
    module: './dist-es/index.js',
    sideEffects: false,
  }),
  'node_modules/@smithy/fake/dist-es/index.js': [
    'import { make } from "./make";',
    'export { Leaf } from "./leaf";',
    'export * from "./star";',
    'export { renamed as alias } from "./renamed";',
    'export { lazyOnly } from "./lazyOnly";',
    'export { nsAll } from "./mid";',
    'export { viaSub } from "./viaSub";',
    'export { subLazy } from "./sub";',
    'export class Own { constructor() { this.tag = make(); } }',
    'export { make };',
  ].join('\n'),
  'node_modules/@smithy/fake/dist-es/make.js': 'export const make = () => "made";',
  // Re-exports a namespace (a form not traced) and declares a name of its own.
  'node_modules/@smithy/fake/dist-es/mid.js':
    'export * as nsAll from "./star";\nexport const midOwn = "mid";',
  'node_modules/@smithy/fake/dist-es/leaf.js': 'export class Leaf {}',
  'node_modules/@smithy/fake/dist-es/star.js': 'export const star = "star";',
  'node_modules/@smithy/fake/dist-es/renamed.js': 'export const renamed = "renamed";',
  'node_modules/@smithy/fake/dist-es/lazyOnly.js': 'export const lazyOnly = "LAZY_ONLY_MARKER";',
  'node_modules/@smithy/fake/dist-es/viaSub.js':
    'import { subUsed } from "./sub";\nexport const viaSub = () => subUsed;',
  'node_modules/@smithy/fake/dist-es/sub/index.js':
    'export { subUsed } from "./used";\nexport { subLazy } from "./lazy";',
  'node_modules/@smithy/fake/dist-es/sub/used.js': 'export const subUsed = "sub-used";',
  'node_modules/@smithy/fake/dist-es/sub/lazy.js': 'export const subLazy = "SUB_LAZY_MARKER";',
  'node_modules/@aws-sdk/client-eager/package.json': JSON.stringify({
    name: '@aws-sdk/client-eager',
    module: './dist-es/index.js',
  }),
  'node_modules/@aws-sdk/client-eager/dist-es/index.js': [
    'import { Leaf, star, alias as renamedValue, Own, make, nsAll, viaSub } from "@smithy/fake";',
    'export const check = () => ({',
    '  leaf: new Leaf(), own: new Own(),',
    '  star, renamedValue, made: make(), tag: new Own().tag, namespaced: nsAll.star, sub: viaSub(),',
    '});',
  ].join('\n'),
  'node_modules/@aws-sdk/client-lazy/package.json': JSON.stringify({
    name: '@aws-sdk/client-lazy',
    module: './dist-es/index.js',
  }),
  'node_modules/@aws-sdk/client-lazy/dist-es/index.js':
    'import { lazyOnly, subLazy } from "@smithy/fake";\nexport const value = lazyOnly;\nexport const subValue = subLazy;',
  'entry.js': [
    'import { check } from "@aws-sdk/client-eager";',
    'export const run = async () => ({ ...check(), lazy: (await import("@aws-sdk/client-lazy")).value });',
  ].join('\n'),
  // Also imports the barrel itself (as code outside the SDK does): the classes must be the same.
  'entryValues.js': [
    'import * as everything from "@smithy/fake";',
    'import { check } from "@aws-sdk/client-eager";',
    'export const run = async () => {',
    '  const { leaf, own, ...values } = check();',
    '  const lazy = (await import("@aws-sdk/client-lazy")).value;',
    '  return { ...values, leafIsOne: leaf instanceof everything.Leaf, ownIsOne: own instanceof everything.Own, lazy };',
    '};',
  ].join('\n'),
};

const tree = fileTree('sdk-barrel-', files);

/** Builds the entry as the functions are built (ESM, split); the text of what its cold start loads. */
async function bundle(name: string, withPlugin: boolean, entry = 'entry.js') {
  const dir = tree();
  const outdir = join(dir, name);
  await build({
    absWorkingDir: dir,
    entryPoints: { index: entry },
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    mainFields: ['module', 'main'],
    outdir,
    outExtension: { '.js': '.mjs' },
    logLevel: 'silent',
    plugins: withPlugin ? [sdkBarrelImports] : [],
  });
  const text = (files: Iterable<string>) =>
    [...files].map((f) => readFileSync(join(outdir, f), 'utf8')).join('\n');
  return {
    cold: text(staticImports(outdir, 'index.mjs')),
    all: text(readdirSync(outdir).filter((f) => f.endsWith('.mjs'))),
    module: (await import(pathToFileURL(join(outdir, 'index.mjs')).href)) as { run: () => Promise<unknown> },
  };
}

describe('sdkBarrelImports (esbuild plugin)', () => {
  it('keeps what only a lazily imported client uses out of the chunks a cold start loads', async () => {
    const without = await bundle('without', false);
    // esbuild alone: the barrel is reached from the entry, so is every module it re-exports.
    expect(without.cold).toContain('LAZY_ONLY_MARKER');
    const withPlugin = await bundle('with', true);
    expect(withPlugin.cold).not.toContain('LAZY_ONLY_MARKER');
    expect(withPlugin.all).toContain('LAZY_ONLY_MARKER');
  });

  it("does the same for an SDK module's relative import of a barrel of its own package", async () => {
    // esbuild alone: viaSub.js imports the sub-barrel, which reaches the lazily needed module too.
    expect((await bundle('sub-without', false)).cold).toContain('SUB_LAZY_MARKER');
    const withPlugin = await bundle('sub-with', true);
    expect(withPlugin.cold).not.toContain('SUB_LAZY_MARKER');
    expect(withPlugin.all).toContain('SUB_LAZY_MARKER');
  });

  it('changes no value: renamed, `export *` and namespace re-exports, own declarations, one instance of each class', async () => {
    const expected = {
      leafIsOne: true,
      ownIsOne: true,
      star: 'star',
      renamedValue: 'renamed',
      made: 'made',
      tag: 'made',
      namespaced: 'star',
      sub: 'sub-used',
      lazy: 'LAZY_ONLY_MARKER',
    };
    expect(await (await bundle('values-without', false, 'entryValues.js')).module.run()).toEqual(expected);
    expect(await (await bundle('values-with', true, 'entryValues.js')).module.run()).toEqual(expected);
  });
});
