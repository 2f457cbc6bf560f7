import { readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Plugin, PluginBuild } from 'esbuild';

/**
 * An esbuild plugin: inside the AWS SDK, a named import from one of its index modules (a "barrel" that
 * re-exports many modules, e.g. `@aws-sdk/core/protocols` or `@smithy/core/serde`) is made an import
 * from the module that declares the name.
 *
 * Why: with `splitting`, esbuild assigns every *file* to a chunk by the entry points and `import()`s
 * that reach it through import statements, whether the names it exports are used or not. The SDK
 * client every function builds at cold start (DynamoDB's) imports a few names from barrels that
 * re-export every protocol and stream helper of the SDK. So the code that only a client loaded on first
 * call needs (the XML and query protocols of S3 and SNS, the REST and stream helpers of SES and S3)
 * landed in a chunk shared with the cold start, which then loaded it on every cold start. Imported
 * from the declaring modules, those files are reached only from the chunks that use them. The same
 * holds for an SDK module's relative import of a barrel of its own package: `@aws-sdk/core`'s
 * `resolveAwsSdkSigV4Config` imports one name from `./aws_sdk`, whose index re-exports the SigV4a signer
 * and its configuration too, which only SES's client (loaded on first call) needs.
 *
 * What it reads: the SDK's published ES modules, one statement per `import`/`export` as TypeScript
 * emits them. A name it cannot trace to a declaration (a namespace re-export, a name the barrel
 * declares itself) stays imported from the barrel, as before: the rewrite can only narrow what a file
 * imports, never change what a name is.
 */
export const sdkBarrelImports: Plugin = {
  name: 'sdk-barrel-imports',
  setup(build) {
    const trace = new ExportTracer(build);
    build.onLoad({ filter: sdkModule, namespace: 'file' }, async ({ path }) => {
      const split = await trace.split(path);
      if (split) return { contents: split.barrel(path), loader: 'js', resolveDir: dirname(path) };
      const source = await trace.source(path);
      if (!barrelImportHint.test(source)) return undefined;
      return { contents: await trace.rewriteImports(source, path), loader: 'js', resolveDir: dirname(path) };
    });
    build.onResolve({ filter: ownPartSuffix }, ({ path }) => ({
      path: path.replace(ownPartSuffix, ''),
      namespace: ownPartNamespace,
    }));
    build.onLoad({ filter: /.*/, namespace: ownPartNamespace }, async ({ path }) => {
      const own = (await trace.split(path))?.own ?? '';
      return { contents: await trace.rewriteImports(own, path), loader: 'js', resolveDir: dirname(path) };
    });
  },
};

/**
 * A module that both re-exports other modules (`export ... from`) and declares exports of its own
 * (`@smithy/core/serde` declares the idempotency token beside 30 re-exports) is loaded as two: its own
 * part (everything but the re-exports), which an import of one of its own names reaches alone, and the
 * module itself, which re-exports its own part and the rest as before, for every other importer. One
 * instance of each declaration either way.
 */
const ownPartQuery = '?sdk-own-part';
const ownPartSuffix = /\?sdk-own-part$/;
const ownPartNamespace = 'sdk-own-part';
const reExport = /^export\s*(?:\*(?:\s*as\s+[\w$]+)?|\{[^}]*\})\s*from\s*"[^"]+";?[ \t]*$/gm;
const ownExport = /^export\s+(?:(?:async\s+)?(?:function|class|const|let|var)\b|\{[^}]*\}\s*;?[ \t]*$)/m;

function splitOwnPart(source: string): { own: string; barrel: (path: string) => string } | undefined {
  const reExports = source.match(reExport);
  if (!reExports) return undefined;
  const own = source.replace(reExport, '');
  // `export *` passes on no default export: a module with one is left whole.
  if (!ownExport.test(own) || /^export\s+default\b/m.test(own)) return undefined;
  return {
    own,
    barrel: (path) => `export * from ${JSON.stringify(path + ownPartQuery)};\n${reExports.join('\n')}\n`,
  };
}

/** The SDK's ES modules (`dist-es`) of the AWS and Smithy packages. */
const sdkModule = /[\\/]node_modules[\\/]@(?:aws-sdk|smithy)[\\/][^\\/]+[\\/]dist-es[\\/].*\.js$/;
/** A cheap test before parsing: an import of a package of the SDK, or a relative one. */
const barrelImportHint = /\bfrom\s*"(?:@(?:aws-sdk|smithy)\/|\.)/;
/** `import { a, b as c } from "@smithy/core/serde";`, `import { a } from "./aws_sdk";` */
const namedImport = /^import\s*\{([^}]*)\}\s*from\s*"((?:@(?:aws-sdk|smithy)\/|\.)[^"]+)";?[ \t]*$/gm;

/** Where an exported name comes from: a module and the name it has there. */
interface Origin {
  file: string;
  name: string;
  /** Whether `file` declares it (false: `file` re-exports it in a form not traced further). */
  declared?: boolean;
}

/** What a module exports: each name's origin, or `'own'` for one it declares (or cannot be traced). */
type ExportMap = Map<string, Origin | 'own'>;

/** `a as b` → { imported: 'a', local: 'b' }. */
function specifiers(list: string): { imported: string; local: string }[] {
  return list
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map((s) => {
      const [imported, local = imported] = s.split(/\s+as\s+/) as [string, string?];
      return { imported, local };
    });
}

/** The value `cache` holds for `key`, made (and kept) on the first call: one read or resolve per build. */
function once<T>(cache: Map<string, Promise<T>>, key: string, make: () => Promise<T>): Promise<T> {
  let value = cache.get(key);
  if (!value) {
    value = make();
    cache.set(key, value);
  }
  return value;
}

class ExportTracer {
  private readonly exportMaps = new Map<string, Promise<ExportMap>>();
  private readonly resolved = new Map<string, Promise<string | undefined>>();
  private readonly sources = new Map<string, Promise<string>>();
  private readonly splits = new Map<string, Promise<ReturnType<typeof splitOwnPart>>>();

  constructor(private readonly build: PluginBuild) {}

  /** A module's source, read once per build. */
  source(file: string): Promise<string> {
    return once(this.sources, file, () => readFile(file, 'utf8'));
  }

  /** A module's own part and re-exports when it is loaded as two ({@link splitOwnPart}), once per build. */
  split(file: string): Promise<ReturnType<typeof splitOwnPart>> {
    return once(this.splits, file, () => this.source(file).then(splitOwnPart));
  }

  /** The file `spec` names from `dir`, as the build resolves it (undefined: external or not found). */
  private resolve(spec: string, dir: string): Promise<string | undefined> {
    return once(this.resolved, `${dir}\0${spec}`, () =>
      this.build
        .resolve(spec, { resolveDir: dir, kind: 'import-statement' })
        .then((r) => (r.errors.length === 0 && !r.external && r.namespace === 'file' ? r.path : undefined)),
    );
  }

  /** What `file` exports; `reading`: the modules whose `export *` led here (a cycle reads as nothing). */
  private exportsOf(file: string, reading: ReadonlySet<string> = new Set()): Promise<ExportMap> {
    if (reading.has(file)) return Promise.resolve(new Map());
    return once(this.exportMaps, file, () => this.readExports(file, new Set([...reading, file])));
  }

  private async readExports(file: string, reading: ReadonlySet<string>): Promise<ExportMap> {
    const source = await this.source(file);
    const dir = dirname(file);
    const map: ExportMap = new Map();
    const imported = new Map<string, { spec: string; name: string }>();
    for (const m of source.matchAll(/^import\s*\{([^}]*)\}\s*from\s*"([^"]+)"/gm)) {
      for (const s of specifiers(m[1] as string))
        imported.set(s.local, { spec: m[2] as string, name: s.imported });
    }
    for (const m of source.matchAll(/^export\s*\{([^}]*)\}\s*(?:from\s*"([^"]+)")?/gm)) {
      const spec = m[2];
      for (const s of specifiers(m[1] as string)) {
        const via = spec ? { spec, name: s.imported } : imported.get(s.imported);
        const target = via ? await this.resolve(via.spec, dir) : undefined;
        map.set(s.local, target && via ? { file: target, name: via.name } : 'own');
      }
    }
    for (const m of source.matchAll(/^export\s*\*\s*from\s*"([^"]+)"/gm)) {
      const target = await this.resolve(m[1] as string, dir);
      if (!target) continue;
      for (const name of (await this.exportsOf(target, reading)).keys()) {
        if (name !== 'default' && !map.has(name)) map.set(name, { file: target, name });
      }
    }
    for (const m of source.matchAll(
      /^export\s+(?:async\s+)?(?:function\s*\*?|class|const|let|var)\s*([A-Za-z_$][\w$]*)/gm,
    )) {
      map.set(m[1] as string, 'own');
    }
    if (/^export\s+default\b/m.test(source)) map.set('default', 'own');
    // `export * as ns from` and anything else unparsed: those names are not in the map, so an import
    // of them is left as it is.
    return map;
  }

  /** The module that declares `name` as exported by `file`, following re-exports. */
  private async origin(file: string, name: string, seen = new Set<string>()): Promise<Origin | undefined> {
    const entry = (await this.exportsOf(file)).get(name);
    if (entry === undefined) return undefined;
    if (entry === 'own') return { file, name, declared: true };
    const key = `${entry.file}\0${entry.name}`;
    if (seen.has(key)) return undefined;
    seen.add(key);
    return (await this.origin(entry.file, entry.name, seen)) ?? entry;
  }

  /** Where to import a name from: its module, or that module's own part when it declares the name and also re-exports. */
  private async moduleOf(origin: Origin): Promise<string> {
    if (!origin.declared) return origin.file;
    return (await this.split(origin.file)) ? origin.file + ownPartQuery : origin.file;
  }

  /**
   * `source` (of `path`) with each named import from an SDK package or a relative path split by
   * declaring module. A statement whose names all come from the module it names (no barrel) is left
   * as written.
   */
  async rewriteImports(source: string, path: string): Promise<string> {
    const dir = dirname(path);
    const statements = [...source.matchAll(namedImport)];
    const replacements = await Promise.all(
      statements.map(async (m) => {
        const spec = m[2] as string;
        const barrel = await this.resolve(spec, dir);
        if (!barrel) return m[0];
        const byFile = new Map<string, string[]>();
        let narrowed = false;
        for (const s of specifiers(m[1] as string)) {
          const found = await this.origin(barrel, s.imported);
          const module = found ? await this.moduleOf(found) : undefined;
          if (module !== undefined && module !== barrel) narrowed = true;
          const from = JSON.stringify(module ?? spec);
          const name = found ? found.name : s.imported;
          byFile.set(from, [...(byFile.get(from) ?? []), name === s.local ? name : `${name} as ${s.local}`]);
        }
        if (!narrowed) return m[0];
        return [...byFile].map(([from, names]) => `import { ${names.join(', ')} } from ${from};`).join(' ');
      }),
    );
    let out = '';
    let last = 0;
    statements.forEach((m, i) => {
      out += source.slice(last, m.index) + replacements[i];
      last = (m.index as number) + m[0].length;
    });
    return out + source.slice(last);
  }
}
