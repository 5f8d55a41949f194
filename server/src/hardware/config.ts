// The project configuration: a `netcost.json` (or a `"netcost"` key in package.json) in a directory or
// one of its parents, the nearest one winning. Its `targets` are user hardware targets (parseTargets);
// issue 9 adds `budgets` to the same file, so the parsed object is returned as well. The one module of
// hardware/ that does IO (it reads files, never writes).
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parseTargets, type Target } from './targets';

export interface ProjectConfig {
  /** the user targets of the file (validated; entries with errors dropped) */
  targets: Target[];
  /** problems, each prefixed with the file's path: unreadable file, bad JSON, bad target fields */
  errors: string[];
  /** the file it came from (`.../netcost.json` or `.../package.json`), or null when none was found */
  path: string | null;
  /** the whole parsed configuration object (for other sections: `budgets`), or null */
  raw: Record<string, unknown> | null;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The configuration object in `path`, or null when `path` is a package.json without a `netcost` key. */
function readConfig(path: string, key: string | null): { raw: Record<string, unknown> | null; error?: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    // a broken package.json is not ours to report; a broken netcost.json is
    return key ? { raw: null } : { raw: null, error: `${path}: ${(e as Error).message.split('\n')[0]}` };
  }
  const obj = key ? (isObject(parsed) ? parsed[key] : undefined) : parsed;
  if (obj === undefined) return { raw: null };
  if (!isObject(obj)) return { raw: null, error: `${path}${key ? ` "${key}"` : ''}: expected an object` };
  return { raw: obj };
}

/**
 * Finds the project configuration for files in `startDir`: `netcost.json` or a package.json with a
 * `"netcost"` key in `startDir` or its parents, stopping at the filesystem root or at a directory that
 * holds `.git` (the repository root, searched itself). Never throws.
 */
export function loadProjectConfig(startDir: string): ProjectConfig {
  let dir = resolve(startDir);
  for (;;) {
    for (const [file, key] of [['netcost.json', null], ['package.json', 'netcost']] as const) {
      const path = join(dir, file);
      if (!existsSync(path)) continue;
      const { raw, error } = readConfig(path, key);
      if (error) return { targets: [], errors: [error], path, raw: null };
      if (!raw) continue;
      const { targets, errors } = parseTargets(raw.targets);
      return { targets, errors: errors.map((e) => `${path}: ${e}`), path, raw };
    }
    const parent = dirname(dir);
    if (parent === dir || existsSync(join(dir, '.git'))) return { targets: [], errors: [], path: null, raw: null };
    dir = parent;
  }
}
