import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * `file` (in the built folder `dir`) and every chunk it imports statically (not with `import()`),
 * transitively: what a cold start of that entry loads.
 */
export function staticImports(dir: string, file: string, found = new Set<string>()): string[] {
  found.add(file);
  const text = readFileSync(join(dir, file), 'utf8');
  for (const [, from, bare] of text.matchAll(
    /\b(?:import|export)\b[^"'()]*?\bfrom\s*"(\.\/[^"]+)"|\bimport\s*"(\.\/[^"]+)"/g,
  )) {
    const chunk = (from ?? bare) as string;
    if (!found.has(chunk.slice(2))) staticImports(dir, chunk.slice(2), found);
  }
  return [...found];
}
