// The active hardware target as the editor shows it: which target the settings pick, the roofline
// estimate of an analysis on it (computed once per analysis and target), per-layer and per-statement
// times with launch overheads, the list the target picker offers, and the text of times and rates.
import { hostCpu } from '../hardware/host';
import type { Analysis, Diagnostic } from '../analysis/analyze';
import { estimate, launches as layerLaunches, type NetworkEstimate } from '../hardware/roofline';
import { peakMemory, type PeakMemory } from '../hardware/memory';
import { DEFAULT_TARGET, findTarget, peakFor, targetIds, TARGETS, type Target } from '../hardware/targets';
import type { EditorSettings } from './settings';
import { humanBytes } from './units';
import { rateText } from './hardware-units';

/** The target the settings choose; `unknown` holds the id when `netcost.target` names none (the default is used then). */
export interface ActiveTarget { target: Target | undefined; unknown?: string }

export function activeTarget(s: Pick<EditorSettings, 'target' | 'userTargets'>): ActiveTarget {
  const chosen = findTarget(s.target, s.userTargets);
  if (chosen) return { target: chosen };
  return { target: findTarget(DEFAULT_TARGET, s.userTargets), unknown: s.target };
}

/** Every target the user can pick: user targets first (one may replace a built-in of the same id), then the
 *  built-ins, then `host-cpu` (this machine's CPU, the one `netcost measure` runs on) */
export function allTargets(user: Target[]): Target[] {
  const seen = new Set<string>();
  return [...user, ...TARGETS, hostCpu()].filter((t) => !seen.has(t.id) && seen.add(t.id));
}

/** One `unknown-target` warning on line 1 when `netcost.target` names no target; `problems`: why user targets were dropped. */
export function unknownTargetDiagnostics(s: Pick<EditorSettings, 'target' | 'userTargets'>, firstLine: string, problems: string[] = []): Diagnostic[] {
  const { target, unknown } = activeTarget(s);
  if (unknown === undefined) return [];
  const ids = targetIds(s.userTargets).join(', ');
  const dropped = problems.length ? ` (invalid target definitions were dropped: ${problems.join('; ')})` : '';
  return [{
    range: { start: { line: 0, character: 0 }, end: { line: 0, character: firstLine.length } }, severity: 'warning', code: 'unknown-target',
    message: `unknown hardware target \`${unknown}\` (setting netcost.target)${dropped}; known: ${ids || 'none'}. Using ${target ? `\`${target.id}\` (${target.name})` : 'no target'}.`,
  }];
}

/** What the target picker (`netcost/targets`) lists per target. */
export interface TargetItem { id: string; name: string; kind: string; detail: string }
export interface TargetList { active: string; targets: TargetItem[] }

/** `8.14 TFLOP/s fp32 · 320 GB/s · 16.0 GB · user-defined` */
export function targetDetail(t: Target, dtype: Analysis['settings']['dtype'] = 'fp32'): string {
  return [`${rateText(peakFor(t, dtype))} ${dtype}`, `${humanBytes(Math.round(t.bandwidth))}/s`, humanBytes(Math.round(t.memory)), ...(t.user ? ['user-defined'] : [])].join(' · ');
}

export function targetList(s: Pick<EditorSettings, 'target' | 'userTargets' | 'dtype'>): TargetList {
  const active = activeTarget(s).target;
  return { active: active?.id ?? '', targets: allTargets(s.userTargets).map((t) => ({ id: t.id, name: t.name, kind: t.kind, detail: targetDetail(t, s.dtype) })) };
}

/** The estimate of one analysis on one target, with what the views need per layer. */
export interface HardwareView {
  target: Target;
  estimate: NetworkEstimate;
  /** per layer of `a.layers`: its roofline time plus its launch overhead when it launches an operator (hardware/roofline.ts
   *  `launches`, as `estimate` counts them: the layers of the network sum to `estimate.seconds`) */
  layerSeconds: number[];
  /** per layer: whether it launches an operator */
  launches: boolean[];
  /** computed on first use */
  readonly memory: PeakMemory;
}

const views = new WeakMap<Analysis, Map<Target, HardwareView>>();

/** The analysis on `t`, computed once per analysis and target (hints ask per visible range, hovers per position). */
export function hardwareView(a: Analysis, t: Target): HardwareView {
  let byTarget = views.get(a);
  if (!byTarget) views.set(a, (byTarget = new Map()));
  let v = byTarget.get(t);
  if (!v) {
    const e = estimate(a, t);
    const launches = a.layers.map(layerLaunches);
    let memory: PeakMemory | undefined;
    v = {
      target: t, estimate: e, launches,
      layerSeconds: e.layers.map((x, i) => x.seconds + (launches[i] ? t.launchOverhead : 0)),
      get memory() { return (memory ??= peakMemory(a)); },
    };
    byTarget.set(t, v);
  }
  return v;
}

/** The summed estimated time of layers [from, to) of the analysis, launch overheads included. */
export function secondsOf(v: HardwareView, from: number, to: number): number {
  let s = 0;
  for (let i = from; i < to; i++) s += v.layerSeconds[i];
  return s;
}

export { intensityText, qpsText, rateText, shortName, timeText } from './hardware-units';
