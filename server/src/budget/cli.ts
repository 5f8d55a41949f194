// The CLI side of budgets: `--budget NAME=VALUE` flags merged over the project's netcost.json `budgets`,
// checked (a bad spec or an unknown latency target is a usage error: exit 2), evaluated, and one
// message on stderr per exceeded budget (exit 1).
import { dirname } from 'node:path';
import type { Analysis, FlopsConvention } from '../analysis/analyze';
import { loadProjectConfig } from '../hardware/config';
import { targetIds, type Target } from '../hardware/targets';
import { budgetMessage, evaluateBudgets, mergeBudgets, parseBudget, parseBudgetsConfig, unknownTargets, type Budget, type BudgetResult } from './budgets';

/** The `--budget` flags parsed; a string is the usage error of the first bad one. */
export function parseBudgetFlags(specs: string[]): Budget[] | string {
  const out: Budget[] = [];
  for (const s of specs) {
    const b = parseBudget(s);
    if (typeof b === 'string') return `--budget: ${b}`;
    out.push(b);
  }
  return out;
}

/** The budgets that apply to `file` (netcost.json's, then the flags' per figure), or a usage error. */
export function resolveBudgets(file: string, flags: Budget[]): { budgets: Budget[]; userTargets: Target[] } | string {
  const c = loadProjectConfig(dirname(file));
  const fromFile = parseBudgetsConfig(c.raw?.budgets);
  if (fromFile.errors.length) return `${c.path}: ${fromFile.errors[0]}`;
  const budgets = mergeBudgets(fromFile.budgets, flags);
  const unknown = unknownTargets(budgets, c.targets);
  if (unknown.length) {
    return `budget latency@${unknown[0]}: unknown target '${unknown[0]}' (known: ${targetIds(c.targets).join(', ')}; add your own in netcost.json)`;
  }
  return { budgets, userTargets: c.targets };
}

/** Evaluates the budgets; writes one line per exceeded budget. Empty when none is set. */
export function checkBudgets(a: Analysis, r: { budgets: Budget[]; userTargets: Target[] }, flops: FlopsConvention, file: string, err: (s: string) => void): BudgetResult[] {
  if (!r.budgets.length) return [];
  const results = evaluateBudgets(a, r.budgets, { flops, userTargets: r.userTargets });
  for (const x of results) if (x.exceeded) err(`${file}: ${budgetMessage(x)}\n`);
  return results;
}
