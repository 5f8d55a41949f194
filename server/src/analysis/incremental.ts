// Incremental analysis of one document across edits: reparses only the edited line when it can,
// resumes evaluation at the first top-level statement that changed, and reuses every layer cost
// whose inputs did not change (CostCache). Its results equal a fresh `analyze` of the same text.
import type { ParsedFile, Stmt } from '../syntax/ast';
import { reparse } from '../syntax/incremental';
import { parse } from '../syntax/parser';
import { CostCache, Evaluator, type Analysis, type Settings } from './analyze';

export interface UpdateStats {
  /** the line parsed again, or null after a full parse */
  reparsedLine: number | null;
  /** the top-level statement evaluation resumed at, or null for a fresh evaluation */
  resumedAt: number | null;
}

export class IncrementalAnalyzer {
  readonly cache = new CostCache();
  private last: { text: string; file: ParsedFile; evaluator: Evaluator; settingsKey: string; analysis: Analysis } | null = null;
  stats: UpdateStats = { reparsedLine: null, resumedAt: null };

  analyze(text: string, settings: Settings): Analysis {
    const settingsKey = JSON.stringify(settings);
    const last = this.last;
    const r = last ? reparse(last.text, last.file, text) : { file: parse(text), region: null };
    if (last && r.file === last.file && last.settingsKey === settingsKey) return last.analysis; // the same text
    this.stats = { reparsedLine: r.region ? r.region[0] : null, resumedAt: null };
    let analysis: Analysis | null = null;
    let evaluator = last?.evaluator;
    const k = last && last.settingsKey === settingsKey ? firstChange(last.file.statements, r.file.statements) : null;
    if (evaluator && k !== null) {
      analysis = evaluator.resume(r.file, k);
      if (analysis) this.stats.resumedAt = k;
    }
    if (!evaluator || !analysis) {
      evaluator = new Evaluator(r.file, settings, this.cache);
      analysis = evaluator.run();
    }
    this.last = { text, file: r.file, evaluator, settingsKey, analysis };
    return analysis;
  }
}

/**
 * The index of the first top-level statement that differs, when the statements that differ (between
 * the common prefix and the common suffix) define no block or function (those are hoisted: a change
 * there changes everything). Null when evaluation must start afresh.
 */
function firstChange(a: Stmt[], b: Stmt[]): number | null {
  let k = 0;
  while (k < a.length && k < b.length && a[k] === b[k]) k++;
  let t = 0;
  while (t < a.length - k && t < b.length - k && a[a.length - 1 - t] === b[b.length - 1 - t]) t++;
  const hoisted = (s: Stmt) => s.kind === 'block' || s.kind === 'def';
  if (a.slice(k, a.length - t).some(hoisted) || b.slice(k, b.length - t).some(hoisted)) return null;
  return k;
}
