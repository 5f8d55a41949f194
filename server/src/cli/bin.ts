// Process entry of the `netcost` command (bundled to dist/cli.js; bin/netcost.js loads it).
import { version } from '../../../package.json';
import { run } from './main';

/** A one-line progress bar on stderr, drawn only on a terminal and only once an analysis has taken 300 ms. */
function progress(file: string) {
  const start = Date.now();
  let drawn = false;
  return (stage: string, done: number, total: number) => {
    if (!process.stderr.isTTY) return;
    if (stage === 'done') { if (drawn) process.stderr.write('\r\x1b[K'); return; }
    if (Date.now() - start < 300) return;
    const width = 20;
    const full = Math.round((width * done) / total);
    process.stderr.write(`\r\x1b[K[${'#'.repeat(full)}${'.'.repeat(width - full)}] ${file}: ${stage}`);
    drawn = true;
  };
}

process.stdout.on('error', (e: NodeJS.ErrnoException) => { if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0); throw e; });
const internal = (e: unknown) => {
  process.stderr.write(`netcost: internal error: ${(e as Error).stack ?? e}\n`);
  process.exitCode = 2;
};
try {
  const code = run(process.argv.slice(2), { out: (s) => process.stdout.write(s), err: (s) => process.stderr.write(s), progress }, version);
  if (typeof code === 'number') process.exitCode = code;
  else code.then((c) => { process.exitCode = c; }, internal);
} catch (e) {
  internal(e);
}
