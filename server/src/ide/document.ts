// One document's analysis as the editor needs it: the engine's figures plus every diagnostic (engine
// and lint), with the user's rule settings applied. Pure; the LSP layer only converts the result.
import { analyze, type Analysis, type CostCache, type Diagnostic, type Severity } from '../analysis/analyze';
import { lint, RULE_CODES, type LintOptions, type RuleCode } from '../analysis/lint';
import type { EditorSettings } from './settings';

export interface DocumentAnalysis { analysis: Analysis; diagnostics: Diagnostic[] }

/** Where each diagnostic code is documented (the LSP `codeDescription`). */
export const RULES_URL = 'https://github.com/netcost/netcost/blob/main/docs/rules.md';
export const ruleUrl = (code: string) => `${RULES_URL}#${code}`;

export function analyzeDocument(text: string, s: EditorSettings, cache?: CostCache): DocumentAnalysis {
  const analysis = analyze(text, { batch: s.batchSize, dtype: s.dtype }, cache);
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
  return { analysis, diagnostics: [...engine, ...lints] };
}
