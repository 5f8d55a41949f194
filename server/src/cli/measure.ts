// `netcost measure` (stub: being built by issue 10)
import type { Io } from './main';

export async function measureMain(_argv: string[], io: Io): Promise<number> {
  io.err('netcost measure: not implemented yet\n');
  return 2;
}
