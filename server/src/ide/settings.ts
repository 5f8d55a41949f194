// The editor settings (`netcost.*`) as the server reads them through `workspace/configuration`:
// validated, with defaults for anything missing or malformed, so a client that sends nothing works.
import { DTYPE_BYTES, FLOPS_CONVENTIONS, type Dtype, type FlopsConvention, type Severity } from '../analysis/analyze';
import { HINT_FIELDS, type HintField } from './hints';

export type RuleSetting = 'off' | Severity;

export interface EditorSettings {
  batchSize: number;
  dtype: Dtype;
  flopsConvention: FlopsConvention;
  inlayHints: { enabled: boolean; content: HintField[] };
  /** per diagnostic code: `off` or a severity; codes not listed keep their defaults */
  rules: Record<string, RuleSetting>;
  lint: { channelMultiple: number; g1Threshold: number };
  /** symbolic dims of ONNX models by name (`netcost.onnx.dims`: `{ "seq": 128 }`) */
  onnx: { dims: Record<string, number> };
}

export const DEFAULT_EDITOR_SETTINGS: EditorSettings = {
  batchSize: 1,
  dtype: 'fp32',
  flopsConvention: '2macs',
  inlayHints: { enabled: true, content: ['shape', 'macs', 'params'] },
  rules: {},
  lint: { channelMultiple: 16, g1Threshold: 10 },
  onnx: { dims: {} },
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
  for (const [name, v] of Object.entries(obj(obj(s.onnx).dims))) if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 1) dims[name] = v;
  return {
    batchSize: posInt(s.batchSize, d.batchSize),
    dtype: typeof s.dtype === 'string' && s.dtype in DTYPE_BYTES ? (s.dtype as Dtype) : d.dtype,
    flopsConvention: FLOPS_CONVENTIONS.includes(s.flopsConvention as FlopsConvention) ? (s.flopsConvention as FlopsConvention) : d.flopsConvention,
    inlayHints: { enabled: typeof hints.enabled === 'boolean' ? hints.enabled : d.inlayHints.enabled, content },
    rules,
    lint: { channelMultiple: posInt(lint.channelMultiple, d.lint.channelMultiple), g1Threshold: posNum(lint.g1Threshold, d.lint.g1Threshold) },
    onnx: { dims },
  };
}
