// Process entry of the `netcost` command (bundled to dist/cli.js; bin/netcost.js loads it).
import { version } from '../../../package.json';
import { main } from './main';

process.stdout.on('error', (e: NodeJS.ErrnoException) => { if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0); throw e; });
try {
  process.exitCode = main(process.argv.slice(2), { out: (s) => process.stdout.write(s), err: (s) => process.stderr.write(s) }, version);
} catch (e) {
  process.stderr.write(`netcost: internal error: ${(e as Error).stack ?? e}\n`);
  process.exitCode = 2;
}
