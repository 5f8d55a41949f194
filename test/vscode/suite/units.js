// Figures as NetCost rounds them, written independently of server/src/ide/units.ts: used by the hint
// tests (hints.js) and by run.mjs for the status bar text. Plain Node, no `vscode`.

/** 924844032 -> "925M", 73728 -> "73.7K": three significant digits, as the hints and the status bar print them. */
function human(n) {
  let v = n;
  let i = 0;
  while (v >= 999.5 && i < 6) { v /= 1000; i++; }
  return i === 0 ? String(n) : `${v.toFixed(v >= 99.95 ? 0 : v >= 9.995 ? 1 : 2)}${'KMGTPE'[i - 1]}`;
}

module.exports = { human };
