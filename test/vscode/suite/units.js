// Figures as NetCost rounds them, written independently of server/src/ide/units.ts: used by the hint
// tests (hints.js) and by run.mjs for the status bar text. Plain Node, no `vscode`.

/** 924844032 -> "925M", 73728 -> "73.7K": three significant digits, as the hints and the status bar print them. */
function human(n) {
  let v = n;
  let i = 0;
  while (v >= 999.5 && i < 6) { v /= 1000; i++; }
  return i === 0 ? String(n) : `${v.toFixed(v >= 99.95 ? 0 : v >= 9.995 ? 1 : 2)}${'KMGTPE'[i - 1]}`;
}

/** Seconds as the latency hints and the status bar print them: 850 ns, 12.3 us, 1.20 ms, 2.50 s (three significant digits). */
function time(seconds) {
  if (!(seconds > 0)) return '0 us';
  const units = [['ns', 1e-9], ['us', 1e-6], ['ms', 1e-3], ['s', 1]];
  let i = 0;
  while (i < units.length - 1 && seconds / units[i][1] >= 999.5) i++;
  const v = seconds / units[i][1];
  return `${v.toFixed(v >= 99.95 ? 0 : v >= 9.995 ? 1 : 2)} ${units[i][0]}`;
}

module.exports = { human, time };
