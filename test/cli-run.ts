// Runs the `netcost` command in-process (its `main`, with captured output) and writes temporary input
// files: the harness of the CLI test files.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main, run as runCli } from '../server/src/cli/main';

export function run(...argv: string[]) {
  let out = '';
  let err = '';
  const code = main(argv, { out: (s) => { out += s; }, err: (s) => { err += s; } });
  return { code, out, err };
}

/** The same for every command, the async ones (`export`, `measure`, `calibrate`) included. */
export async function runAsync(...argv: string[]) {
  let out = '';
  let err = '';
  const code = await runCli(argv, { out: (s) => { out += s; }, err: (s) => { err += s; } });
  return { code, out, err };
}

/** A fresh temporary directory and a function that writes a file into it and returns its path. */
export function tempFiles(prefix: string): { dir: string; file(name: string, text: string): string } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, file: (name, text) => { const p = join(dir, name); writeFileSync(p, text); return p; } };
}
