// `netcost export` (stub: being built by issue 10)
import type { Io } from './main';

export async function exportMain(_argv: string[], io: Io): Promise<number> {
  io.err('netcost export: not implemented yet\n');
  return 2;
}
