// One document's analysis as the editor needs it: the engine's figures plus every diagnostic (engine
// and lint), with the user's rule settings applied. Pure; the LSP layer only converts the result.
import { analyze, type Analysis, type Diagnostic, type Severity } from '../analysis/analyze';
import { IncrementalAnalyzer } from '../analysis/incremental';
import { lint, RULE_CODES, type LintOptions, type RuleCode } from '../lint/lint';
import { DEFAULT_TARGET, findTarget, type Target } from '../hardware/targets';
import type { EditorSettings } from './settings';
import { analyzeOnnxFile, type OnnxAnalysis, type Progress } from '../onnx/analyze';
import { bytesOver, resolveLimits } from '../analysis/limits';
import { budgetDiagnostics, editorBudgets, type BudgetResult } from '../budget/budgets';

export interface DocumentAnalysis {
  analysis: Analysis;
  /** engine and lint diagnostics, computed on first use (hints and hovers do not need the lint pass) */
  readonly diagnostics: Diagnostic[];
  /** the project's budgets (settings.budgets) on this analysis; absent or empty when none is set */
  readonly budgets?: BudgetResult[];
}

/** Where each diagnostic code is documented (the LSP `codeDescription`) when no local copy is shipped. */
export const RULES_URL = 'https://github.com/netcost/netcost/blob/main/docs/rules.md';
/** `base`: the URL of docs/rules.md (the server passes the file shipped next to it when there is one). */
export const ruleUrl = (code: string, base = RULES_URL) => `${base}#${code}`;

/** `analyzer` keeps the document's earlier work: pass the same one for every version of a document. */
export function analyzeDocument(text: string, s: EditorSettings, analyzer = new IncrementalAnalyzer()): DocumentAnalysis {
  const settings = { batch: s.batchSize, dtype: s.dtype, limits: s.limits };
  // a file over the `fileSize` limit is not parsed: one `limit` error (the incremental analyzer would parse it first)
  const tooLarge = bytesOver(text, resolveLimits(s.limits).fileSize) >= 0;
  const analysis = tooLarge ? analyze(text, settings) : analyzer.analyze(text, settings);
  let diagnostics: Diagnostic[] | undefined;
  return {
    analysis,
    get diagnostics() { return (diagnostics ??= diagnose(analysis, text, s)); },
    get budgets() { return editorBudgets(analysis, s); },
  };
}

/**
 * An ONNX model as a document: the listing (`.net` text, one line per node) is the document's text.
 * Figures, hints and hovers come from the ONNX analysis (each tensor at its own dtype); the lint rules
 * run on the `.net` engine's analysis of the listing, whose lines are the same, so a model gets the
 * same findings as a hand-written file. `--batch` binds only when the user changed it from 1.
 */
export function analyzeOnnxDocument(path: string, name: string, s: EditorSettings, progress?: Progress): DocumentAnalysis & { analysis: OnnxAnalysis } {
  const analysis = analyzeOnnxFile(path, { batch: s.batchSize === 1 ? undefined : s.batchSize, dims: s.onnx.dims, dtype: s.dtype === 'fp32' ? undefined : s.dtype, limits: s.limits }, name, progress);
  let diagnostics: Diagnostic[] | undefined;
  return {
    analysis,
    get diagnostics() {
      if (diagnostics) return diagnostics;
      const text = analysis.onnx.listing.text;
      // the listing is ours, one line per node: the model's limits bound it, not those of a hand-written file
      const limits = resolveLimits(s.limits);
      const listing = { ...analysis.settings, limits: { ...limits, fileSize: Number.MAX_SAFE_INTEGER, layers: Math.max(limits.layers, limits.nodes) } };
      const over = budgetDiagnostics(analysis, editorBudgets(analysis, s));
      return (diagnostics = [...applyRules([...analysis.diagnostics, ...over], s), ...lints(analyze(text, listing), text, s)]);
    },
    get budgets() { return editorBudgets(analysis, s); },
  };
}

/** The user's rule settings applied to engine findings: warnings and notes can be switched off or re-ranked, errors cannot. */
function applyRules(found: Diagnostic[], s: EditorSettings): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const d of found) {
    const v = d.severity === 'error' ? undefined : s.rules[d.code];
    if (v === 'off') continue;
    out.push(v ? { ...d, severity: v as Severity } : d);
  }
  return out;
}

function diagnose(analysis: Analysis, text: string, s: EditorSettings): Diagnostic[] {
  const over = budgetDiagnostics(analysis, editorBudgets(analysis, s));
  return [...applyRules([...analysis.diagnostics, ...over], s), ...lints(analysis, text, s)];
}

/** The lint rules' findings, with the user's rule settings. */
function lints(analysis: Analysis, text: string, s: EditorSettings): Diagnostic[] {
  const rules: LintOptions['rules'] = {};
  for (const code of RULE_CODES) {
    const v = s.rules[code];
    if (v) rules[code as RuleCode] = v === 'off' ? { enabled: false } : { severity: v };
  }
  const l = s.lint;
  return lint(analysis, text, {
    rules, target: activeTarget(s), channelMultiple: l.channelMultiple || undefined, // 0: the target's multiple
    g1Threshold: l.g1Threshold, g2Threshold: l.g2Threshold, g3Threshold: l.g3Threshold, g4Threshold: l.g4Threshold, fcThreshold: l.fcThreshold, hotspotThreshold: l.hotspotThreshold,
  });
}

/** The target the lint rules judge for: the setting's id among the user's and the built-in targets, else the default one. */
export function activeTarget(s: EditorSettings): Target | undefined {
  const { target, userTargets } = s as Partial<Pick<EditorSettings, 'target' | 'userTargets'>>;
  return findTarget(target ?? DEFAULT_TARGET, userTargets ?? []) ?? findTarget(DEFAULT_TARGET, userTargets ?? []);
}
