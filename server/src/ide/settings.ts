// The editor settings (`netcost.*`) as the server reads them through `workspace/configuration`:
// validated, with defaults for anything missing or malformed, so a client that sends nothing works.
import { DTYPE_BYTES, FLOPS_CONVENTIONS, type Dtype, type FlopsConvention, type Severity } from '../analysis/analyze';
import { HINT_FIELDS, type HintField } from './hints';
import { DEFAULT_TARGET, parseTargets, type Target } from '../hardware/targets';
import { LIMIT_DEFAULTS, resolveLimits, type Limits } from '../analysis/limits';
import type { Budget } from '../budget/budgets';

export type RuleSetting = 'off' | Severity;

export interface EditorSettings {
  batchSize: number;
  dtype: Dtype;
  flopsConvention: FlopsConvention;
  /** showDelta: each changed line's MACs change against the file at git HEAD, after its hint */
  inlayHints: { enabled: boolean; content: HintField[]; showDelta: boolean };
  /** per diagnostic code: `off` or a severity; codes not listed keep their defaults */
  rules: Record<string, RuleSetting>;
  /** lint thresholds (percent); `channelMultiple` 0 takes the active target's multiple, a positive value overrides it */
  lint: { channelMultiple: number; g1Threshold: number; g2Threshold: number; g3Threshold: number; g4Threshold: number; fcThreshold: number; hotspotThreshold: number };
  /** symbolic dims of ONNX models by name (`netcost.onnx.dims`: `{ "seq": 128 }`) */
  onnx: { dims: Record<string, number> };
  /** id of the active hardware target (`netcost.target`); an unknown id falls back to DEFAULT_TARGET with an `unknown-target` warning */
  target: string;
  /** user targets: the setting `netcost.targets` (parsed; invalid entries dropped), then the workspace's `netcost.json` (the server adds those) */
  userTargets: Target[];
  /** why user target definitions were dropped, one message each (the `unknown-target` warning names them) */
  targetErrors: string[];
  /** the limits against runaway and hostile inputs (`netcost.limits.<name>`, analysis/limits.ts); invalid values take the defaults */
  limits: Limits;
  /** the budgets of the document's netcost.json (`budgets`; budget/budgets.ts), added by the server; none when absent */
  budgets?: Budget[];
}

export const DEFAULT_EDITOR_SETTINGS: EditorSettings = {
  batchSize: 1,
  dtype: 'fp32',
  flopsConvention: '2macs',
  inlayHints: { enabled: true, content: ['shape', 'macs', 'params'], showDelta: false },
  rules: {},
  lint: { channelMultiple: 0, g1Threshold: 10, g2Threshold: 20, g3Threshold: 30, g4Threshold: 20, fcThreshold: 50, hotspotThreshold: 25 },
  onnx: { dims: {} },
  target: DEFAULT_TARGET,
  userTargets: [],
  targetErrors: [],
  limits: { ...LIMIT_DEFAULTS },
};

const RULE_SETTINGS: RuleSetting[] = ['off', 'error', 'warning', 'info'];

const obj = (v: unknown): Record<string, unknown> => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {});
const posInt = (v: unknown, d: number) => (typeof v === 'number' && Number.isSafeInteger(v) && v >= 1 ? v : d);
const posNum = (v: unknown, d: number) => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : d);

/** `raw` is the `netcost` section as the client sent it (or null when it cannot send settings). */
export function readSettings(raw: unknown): EditorSettings {
  const s = obj(raw);
  const d = DEFAULT_EDITOR_SETTINGS;
  const hints = obj(s.inlayHints);
  const lint = obj(s.lint);
  const content = Array.isArray(hints.content) ? hints.content.filter((f): f is HintField => HINT_FIELDS.includes(f as HintField)) : d.inlayHints.content;
  const rules: Record<string, RuleSetting> = {};
  for (const [code, v] of Object.entries(obj(s.rules))) if (RULE_SETTINGS.includes(v as RuleSetting)) rules[code] = v as RuleSetting;
  const dims: Record<string, number> = {};
  const targets = s.targets === undefined ? { targets: [], errors: [] } : parseTargets(s.targets);
  for (const [name, v] of Object.entries(obj(obj(s.onnx).dims))) if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 1) dims[name] = v;
  return {
    batchSize: posInt(s.batchSize, d.batchSize),
    dtype: typeof s.dtype === 'string' && s.dtype in DTYPE_BYTES ? (s.dtype as Dtype) : d.dtype,
    flopsConvention: FLOPS_CONVENTIONS.includes(s.flopsConvention as FlopsConvention) ? (s.flopsConvention as FlopsConvention) : d.flopsConvention,
    inlayHints: {
      enabled: typeof hints.enabled === 'boolean' ? hints.enabled : d.inlayHints.enabled, content,
      showDelta: typeof hints.showDelta === 'boolean' ? hints.showDelta : d.inlayHints.showDelta,
    },
    rules,
    lint: {
      channelMultiple: typeof lint.channelMultiple === 'number' && Number.isSafeInteger(lint.channelMultiple) && lint.channelMultiple >= 0 ? lint.channelMultiple : d.lint.channelMultiple,
      g1Threshold: posNum(lint.g1Threshold, d.lint.g1Threshold), g2Threshold: posNum(lint.g2Threshold, d.lint.g2Threshold), g3Threshold: posNum(lint.g3Threshold, d.lint.g3Threshold),
      g4Threshold: posNum(lint.g4Threshold, d.lint.g4Threshold), fcThreshold: posNum(lint.fcThreshold, d.lint.fcThreshold), hotspotThreshold: posNum(lint.hotspotThreshold, d.lint.hotspotThreshold),
    },
    onnx: { dims },
    target: typeof s.target === 'string' && s.target.trim() ? s.target.trim() : d.target,
    userTargets: targets.targets,
    targetErrors: targets.errors.map((e) => `netcost.targets: ${e}`),
    limits: { ...resolveLimits(obj(s.limits)) },
  };
}

/** The settings with a workspace's `netcost.json` targets after the setting's (a setting's target of the same id wins);
 *  `project.errors` name their file already (hardware/config.ts). */
export function withProjectTargets(s: EditorSettings, project: { targets: Target[]; errors: string[] } | null): EditorSettings {
  if (!project || (project.targets.length === 0 && project.errors.length === 0)) return s;
  return { ...s, userTargets: [...s.userTargets, ...project.targets], targetErrors: [...s.targetErrors, ...project.errors] };
}
