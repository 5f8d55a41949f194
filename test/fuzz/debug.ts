// Runs one case in this process: `node --import tsx test/fuzz/debug.ts net 1 36` (SHOW=1 prints the texts,
// NETCOST_FUZZ_TRACE=1 each step's time, NETCOST_FUZZ_LITE=1 generates the suite's lite cases), or a fixture file.
import { generate, fixtureInput, readFixture, type Target } from './cases';
import { runNet, runOnnx } from './check';
const [target, seed, index] = process.argv.slice(2);
const c = target.endsWith('.json') ? fixtureInput(readFixture(target)) : generate(target as Target, Number(seed), Number(index), process.env.NETCOST_FUZZ_LITE !== '1');
if (c.target === 'net') {
  if (process.env.SHOW) c.input.texts.forEach((t, i) => console.log(`---- version ${i} (${t.length} chars)\n${t.length > 4000 ? t.slice(0, 4000) + '...' : t}`));
  const t0 = performance.now();
  try { runNet(c.input); } catch (e) { console.log(e); }
  console.log(`${(performance.now() - t0).toFixed(0)} ms`);
} else {
  const t0 = performance.now();
  try { runOnnx(c.input); } catch (e) { console.log(e); }
  console.log(`${c.input.bytes.length} bytes, ${(performance.now() - t0).toFixed(0)} ms`);
}
