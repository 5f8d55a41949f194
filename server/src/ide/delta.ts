// What changed against a git revision, per line of the current document: the comparison
// (compare/compare.ts) of the file at HEAD with the editor's text, summed per top-level statement line
// for the inlay hints (`netcost.inlayHints.showDelta`), and as the report of "NetCost: Compare with HEAD".
import type { FlopsConvention } from '../analysis/analyze';
import { compareAnalyses, compareTable, type Comparison } from '../compare/compare';
import { againstRevision, SourceError, type SourceSettings } from '../compare/source';
import { human } from './units';

export interface RevisionDiff { comparison: Comparison; report: string; /** MACs delta per 0-based line of the current text */ macsByLine: Map<number, number> }

/** The document's text against `rev`, or a reason it cannot be compared (not in git, the file is new, git is missing). */
export function diffAgainst(file: string, name: string, text: string, s: SourceSettings, flops: FlopsConvention, rev = 'HEAD'): RevisionDiff | { error: string } {
  let sides;
  try {
    sides = againstRevision(file, text, s, rev);
  } catch (e) {
    if (e instanceof SourceError) return { error: e.message };
    throw e;
  }
  const comparison = compareAnalyses(sides.old, sides.new);
  const macsByLine = new Map<number, number>();
  for (const l of comparison.layers) {
    if (!l.new || l.delta.macs === 0) continue;
    const line = l.new.useRange.start.line;
    macsByLine.set(line, (macsByLine.get(line) ?? 0) + l.delta.macs);
  }
  const report = compareTable(comparison, { file: sides.oldLabel, analysis: sides.old }, { file: name, analysis: sides.new }, flops);
  return { comparison, report, macsByLine };
}

/** `+12.0M MACs`, `-3.20K MACs`: a line's change against the revision, for its inlay hint. */
export const deltaLabel = (macs: number): string => `${macs > 0 ? '+' : '-'}${human(Math.abs(macs))} MACs`;
