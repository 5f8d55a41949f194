// One document's analysis as the editor needs it: the engine's figures plus every diagnostic (engine
// and lint), with the user's rule settings applied. Pure; the LSP layer only converts the result.
import type { Analysis, Diagnostic, Severity } from '../analysis/analyze';
import { IncrementalAnalyzer } from '../analysis/incremental';
import { lint, RULE_CODES, type LintOptions, type RuleCode } from '../analysis/lint';
import type { EditorSettings } from './settings';

export interface DocumentAnalysis {
  analysis: Analysis;
  /** engine and lint diagnostics, computed on first use (hints and hovers do not need the lint pass) */
  readonly diagnostics: Diagnostic[];
}

/** Where each diagnostic code is documented (the LSP `codeDescription`) when no local copy is shipped. */
export const RULES_URL = 'https://github.com/netcost/netcost/blob/main/docs/rules.md';
/** `base`: the URL of docs/rules.md (the server passes the file shipped next to it when there is one). */
export const ruleUrl = (code: string, base = RULES_URL) => `${base}#${code}`;

/** `analyzer` keeps the document's earlier work: pass the same one for every version of a document. */
export function analyzeDocument(text: string, s: EditorSettings, analyzer = new IncrementalAnalyzer()): DocumentAnalysis {
  const analysis = analyzer.analyze(text, { batch: s.batchSize, dtype: s.dtype });
  let diagnostics: Diagnostic[] | undefined;
  return {
    analysis,
    get diagnostics() { return (diagnostics ??= diagnose(analysis, text, s)); },
  };
}

function diagnose(analysis: Analysis, text: string, s: EditorSettings): Diagnostic[] {
  const rules: LintOptions['rules'] = {};
  for (const code of RULE_CODES) {
    const v = s.rules[code];
    if (v) rules[code as RuleCode] = v === 'off' ? { enabled: false } : { severity: v };
  }
  const lints = lint(analysis, text, { rules, channelMultiple: s.lint.channelMultiple, g1Threshold: s.lint.g1Threshold });
  // the engine's own warnings and notes can be switched too; its errors cannot
  const engine: Diagnostic[] = [];
  for (const d of analysis.diagnostics) {
    const v = d.severity === 'error' ? undefined : s.rules[d.code];
    if (v === 'off') continue;
    engine.push(v ? { ...d, severity: v as Severity } : d);
  }
  return [...engine, ...lints];
}
