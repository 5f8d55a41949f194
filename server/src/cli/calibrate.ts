// `netcost calibrate` (stub: being built by issue 10)
import type { Io } from './main';

export async function calibrateMain(_argv: string[], io: Io): Promise<number> {
  io.err('netcost calibrate: not implemented yet\n');
  return 2;
}
