// Hardware targets: what a device can compute and move, for the roofline estimate (roofline.ts) and the
// target-dependent lint rules. Built-in profiles cite their public sources (docs/hardware.md has the
// table); users add their own in the setting `netcost.targets` or in a `netcost.json` (config.ts).
import type { Dtype } from '../analysis/analyze';
import { HOST_CPU, hostCpu } from './host';

export type TargetKind = 'gpu' | 'cpu' | 'npu';

export interface Target {
  /** stable id used by `--target`, the setting `netcost.target` and the JSON: `t4`, `a100`, `rpi5-cpu` */
  id: string;
  /** display name: `NVIDIA T4` */
  name: string;
  kind: TargetKind;
  /** dense peak throughput per dtype, operations per second (FLOP/s for float, OP/s for int8; one MAC = 2).
   *  A dtype the device does not accelerate is absent: estimates for it use the best listed precision below it (see peakFor). */
  peak: Partial<Record<Dtype, number>>;
  /** memory bandwidth, bytes per second */
  bandwidth: number;
  /** device memory (or the RAM it shares), bytes */
  memory: number;
  /** the channel multiple its kernels compute in (`channel-multiple` lint) */
  channelMultiple: number;
  /** fixed cost of launching one operator (kernel launch, runtime dispatch), seconds */
  launchOverhead: number;
  /** false: its usual runtime has no channel shuffle (it becomes a slow gather or falls back to the CPU) */
  shuffle: boolean;
  /** relative compute density of a KxK convolution against 3x3 (RepVGG: 1x1 and 5x5 reach about a quarter of 3x3's density on GPUs); absent: 1 */
  kernelDensity?: Partial<Record<number, number>>;
  /** where each number comes from: URLs or document names with the figure */
  sources: string[];
  /** true for a user-defined target */
  user?: boolean;
  /** (optional, added by issue 7) the precision deployments usually run at on it: the README's latency
   *  table uses it, and `channelMultiple` is the one for it; absent: fp32 */
  precision?: Dtype;
  /** (optional, added by issue 10) per op class (opclass.ts: `conv`, `dwconv`, `linear`, ...), the fraction of the
   *  roofline time the class reaches: a layer's time is its roofline time divided by it. A class without an
   *  entry uses `default`, else 1. Above 1: faster than the roofline (a class whose kernels the runtime fuses). */
  efficiency?: Record<string, number>;
  /** (optional, added by issue 10) how `netcost calibrate` fitted the target */
  calibration?: Calibration;
}

/** The metadata `netcost calibrate` writes with a fitted target. */
export interface Calibration {
  /** ISO date and time of the fit */
  date: string;
  /** the runtime measured: `onnxruntime-node 1.30.0 cpu` */
  runtime: string;
  /** intra-op threads of the measurements: the target holds for that many */
  threads: number;
  /** the files measured */
  models: string[];
  /** the machine's CPU (host-cpu's name) */
  cpu?: string;
  /** the leave-one-out accuracy on `models`: median absolute relative error and worst factor (max of predicted/measured, measured/predicted) */
  leaveOneOut?: { medianAbsError: number; worstFactor: number };
}

/** A layer's efficiency on `t` for its op class: the class's own, else `default`, else 1. */
export function efficiencyFor(t: Target, opClass: string | undefined): number {
  const e = t.efficiency;
  if (!e) return 1;
  return (opClass !== undefined && Object.hasOwn(e, opClass) ? e[opClass] : e.default) ?? 1;
}

/** The peak a layer computing in `dtype` can reach on `t`: the dtype's own peak, else fp32's (a device without fp16 units computes fp16 as fp32). */
export function peakFor(t: Target, dtype: Dtype): number {
  return t.peak[dtype] ?? (dtype === 'bf16' ? t.peak.fp16 : undefined) ?? t.peak.fp32 ?? Math.max(...Object.values(t.peak).map(Number));
}

/** The target of the editor and the lint rules when none is chosen. */
export const DEFAULT_TARGET = 't4';


const T = 1e12;
const G = 1e9;
const GB = 1e9;
const US = 1e-6;
/** RepVGG (Ding et al., CVPR 2021), Table 4: measured TFLOPS of KxK convolutions on a 1080Ti (batch 32, 2048
 *  channels, 56x56): 1x1 9.96, 3x3 38.10, 5x5 10.57, 7x7 9.38; relative to 3x3 */
const GPU_KERNEL_DENSITY: Partial<Record<number, number>> = { 1: 0.26, 3: 1, 5: 0.28, 7: 0.25 };
const REPVGG = 'RepVGG (Ding et al., CVPR 2021, arXiv:2101.03697), Table 4: kernel density 1x1 9.96, 3x3 38.10, 5x5 10.57, 7x7 9.38 TFLOPS on a 1080Ti';

/** The built-in profiles (docs/hardware.md lists each number with its source). Dense peaks only (no
 *  sparsity); memory sizes as vendors write them (16 GB = 16e9 bytes, conservative against GiB); launch overheads are estimates (docs/hardware.md). */
export const TARGETS: Target[] = [
  {
    id: 't4', name: 'NVIDIA T4', kind: 'gpu', precision: 'fp16',
    peak: { fp32: 8.1 * T, fp16: 65 * T, int8: 130 * T },
    bandwidth: 320 * G, memory: 16 * GB, channelMultiple: 8, launchOverhead: 5 * US, shuffle: true, kernelDensity: GPU_KERNEL_DENSITY,
    sources: ['NVIDIA T4 Tensor Core GPU datasheet: FP32 8.1 TFLOPS, mixed FP16/FP32 65 TFLOPS, INT8 130 TOPS, 16 GB GDDR6, 320+ GB/s (https://www.nvidia.com/content/dam/en-zz/Solutions/Data-Center/tesla-t4/t4-tensor-core-datasheet-951643.pdf)', REPVGG],
  },
  {
    id: 'rtx-a4000', name: 'NVIDIA RTX A4000', kind: 'gpu', precision: 'fp16',
    peak: { fp32: 19.2 * T, fp16: 76.7 * T, bf16: 76.7 * T, int8: 153.4 * T },
    bandwidth: 448 * G, memory: 16 * GB, channelMultiple: 8, launchOverhead: 5 * US, shuffle: true, kernelDensity: GPU_KERNEL_DENSITY,
    sources: ['NVIDIA RTX A4000 datasheet: FP32 19.2 TFLOPS, tensor 153.4 TFLOPS (with 2:4 sparsity: dense FP16 76.7), 16 GB GDDR6, 448 GB/s (https://www.nvidia.com/content/dam/en-zz/Solutions/design-visualization/rtx-a4000/nvidia-rtx-a4000-datasheet.pdf)', 'NVIDIA Ampere GA102 GPU architecture whitepaper: INT8 tensor rate = 2x FP16 (INT8 153.4 TOPS dense: derived)', REPVGG],
  },
  {
    id: 'a100', name: 'NVIDIA A100 40GB SXM', kind: 'gpu', precision: 'fp16',
    peak: { fp32: 19.5 * T, fp16: 312 * T, bf16: 312 * T, int8: 624 * T },
    bandwidth: 1555 * G, memory: 40 * GB, channelMultiple: 8, launchOverhead: 5 * US, shuffle: true, kernelDensity: GPU_KERNEL_DENSITY,
    sources: ['NVIDIA A100 Tensor Core GPU datasheet: FP32 19.5 TFLOPS, FP16/BF16 tensor 312 TFLOPS, INT8 624 TOPS (dense), 40 GB HBM2, 1,555 GB/s (https://www.nvidia.com/content/dam/en-zz/Solutions/Data-Center/a100/pdf/nvidia-a100-datasheet-us-nvidia-1758950-r4-web.pdf)', REPVGG],
  },
  {
    id: 'h100', name: 'NVIDIA H100 SXM', kind: 'gpu', precision: 'fp16',
    peak: { fp32: 67 * T, fp16: 989.5 * T, bf16: 989.5 * T, int8: 1979 * T },
    bandwidth: 3350 * G, memory: 80 * GB, channelMultiple: 8, launchOverhead: 5 * US, shuffle: true, kernelDensity: GPU_KERNEL_DENSITY,
    sources: ['NVIDIA H100 Tensor Core GPU datasheet (SXM): FP32 67 TFLOPS, FP16/BF16 1,979 TFLOPS and INT8 3,958 TOPS with sparsity (dense: half), 80 GB HBM3, 3.35 TB/s (https://resources.nvidia.com/en-us-tensor-core/nvidia-tensor-core-gpu-datasheet)', REPVGG],
  },
  {
    id: 'orin-nano', name: 'NVIDIA Jetson Orin Nano 8GB', kind: 'gpu', precision: 'fp16',
    peak: { fp32: 1.28 * T, fp16: 10 * T, int8: 20 * T },
    bandwidth: 68 * G, memory: 8 * GB, channelMultiple: 8, launchOverhead: 10 * US, shuffle: true, kernelDensity: GPU_KERNEL_DENSITY,
    sources: ['NVIDIA Jetson Orin Nano Series data sheet (DS-11105-001): 40 TOPS sparse INT8 (dense 20), 1024-core Ampere GPU with 32 tensor cores at 625 MHz (FP32 1024 x 2 x 625 MHz = 1.28 TFLOPS), 8 GB 128-bit LPDDR5 68 GB/s (https://developer.nvidia.com/embedded/jetson-orin-nano-developer-kit); FP16 10 TFLOPS = half the dense INT8 rate (derived, as on A100-class tensor cores)', REPVGG],
  },
  {
    id: 'phone-cpu', name: 'Snapdragon 8 Gen 2 CPU (1x X3 + 4x A715/A710 + 3x A510)', kind: 'cpu',
    peak: { fp32: 329.6 * G, fp16: 659.2 * G, int8: 1318.4 * G },
    bandwidth: 67.2 * G, memory: 8 * GB, channelMultiple: 4, launchOverhead: 1 * US, shuffle: true,
    sources: ['Qualcomm Snapdragon 8 Gen 2 product brief: Cortex-X3 at 3.2 GHz, 2x A715 + 2x A710 at 2.8 GHz, 3x A510 at 2.0 GHz, LPDDR5X at 4200 MHz (64-bit: 67.2 GB/s) (https://www.qualcomm.com/products/mobile/snapdragon/smartphones/snapdragon-8-series-mobile-platforms/snapdragon-8-gen-2-mobile-platform)', 'Arm Cortex-X3, A715, A710, A510 software optimization guides: 4, 2, 2, 1 128-bit FMA pipes; fp16 2x and int8 SDOT 4x the fp32 rate (peaks derived)'],
  },
  {
    id: 'phone-npu', name: 'Snapdragon 8 Gen 2 Hexagon NPU', kind: 'npu', precision: 'int8',
    peak: { fp16: 8 * T, int8: 16 * T },
    bandwidth: 67.2 * G, memory: 8 * GB, channelMultiple: 16, launchOverhead: 10 * US, shuffle: true,
    sources: ['estimate: Qualcomm publishes no TOPS figure for the Snapdragon 8 Gen 2 Hexagon (product brief: up to 4.35x the AI performance of 8 Gen 1, INT4 support); 16 TOPS INT8, fp16 at half rate; the SoC LPDDR5X 67.2 GB/s (https://www.qualcomm.com/products/mobile/snapdragon/smartphones/snapdragon-8-series-mobile-platforms/snapdragon-8-gen-2-mobile-platform)'],
  },
  {
    id: 'rpi5-cpu', name: 'Raspberry Pi 5 CPU (4x Cortex-A76)', kind: 'cpu',
    peak: { fp32: 153.6 * G, fp16: 307.2 * G, int8: 614.4 * G },
    bandwidth: 17.07 * G, memory: 8 * GB, channelMultiple: 4, launchOverhead: 1 * US, shuffle: true,
    sources: ['Raspberry Pi 5 product brief: BCM2712, 4x Cortex-A76 at 2.4 GHz, LPDDR4X-4267 (32-bit: 17.07 GB/s), 2/4/8 GB (https://datasheets.raspberrypi.com/rpi5/raspberry-pi-5-product-brief.pdf)', 'Arm Cortex-A76 software optimization guide: 2 128-bit FMA pipes (fp32 4 x 2.4 GHz x 16 = 153.6 GFLOPS; fp16 2x, int8 SDOT 4x: derived)'],
  },
  {
    id: 'nnie', name: 'HiSilicon Hi3519A V100 NNIE', kind: 'npu', precision: 'int8',
    peak: { int8: 2 * T },
    bandwidth: 10.7 * G, memory: 2 * GB, channelMultiple: 16, launchOverhead: 10 * US, shuffle: false,
    sources: ['HiSilicon Hi3519A V100 product brief: NNIE 2.0 TOPS (int8/int16 only; fp32 models are quantized by the toolchain), 32-bit DDR4 (https://www.hisilicon.com/en/products/smart-vision/consumer-camera/IPC/Hi3519AV100); bandwidth 10.7 GB/s = 32-bit x 2666 MT/s and 2 GB board memory: estimates', 'HiSilicon NNIE mapper guide: no ShuffleChannel layer (channel shuffle runs on the CPU)'],
  },
];

/** Every id `findTarget` answers, for "known: ..." messages: user targets, the built-ins, then `host-cpu`. */
export const targetIds = (user: Target[] = []): string[] => [...new Set([...user.map((t) => t.id), ...TARGETS.map((t) => t.id), HOST_CPU])];

/** A target by id; user targets come first (one may replace a built-in profile of the same id). `host-cpu`
 *  is this machine's CPU (host.ts): found here, never listed in TARGETS (it differs between machines). */
export function findTarget(id: string, user: Target[] = []): Target | undefined {
  return user.find((t) => t.id === id) ?? TARGETS.find((t) => t.id === id) ?? (id === HOST_CPU ? hostCpu() : undefined);
}

const KINDS: TargetKind[] = ['gpu', 'cpu', 'npu'];
const DTYPES: Dtype[] = ['fp32', 'fp16', 'bf16', 'int8'];
const FIELDS = new Set(['id', 'name', 'kind', 'extends', 'peak', 'bandwidth', 'memory', 'channelMultiple', 'launchOverhead', 'shuffle', 'kernelDensity', 'sources', 'precision', 'efficiency', 'calibration']);
const CALIBRATION_FIELDS = new Set(['date', 'runtime', 'threads', 'models', 'cpu', 'leaveOneOut']);
const OP_CLASS = /^[A-Za-z][A-Za-z0-9_.]*$/;
const ID = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const positive = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v > 0;
const nonEmpty = (v: unknown): v is string => typeof v === 'string' && v.trim() !== '';
const show = (v: unknown) => (typeof v === 'string' ? `'${v}'` : JSON.stringify(v) ?? String(v));

/**
 * User targets from a setting or a `netcost.json` `targets` array: validated; each problem is a message
 * naming the target and field. An entry is either complete (`kind`, `peak`, `bandwidth`, `memory`; the
 * rest defaults: name = id, channelMultiple 16, launchOverhead 0, shuffle true) or `extends` a built-in
 * id and overrides some fields (`peak` merges per dtype). Units: FLOP/s (OP/s for int8), bytes/s, bytes,
 * seconds. An entry with an error is dropped; an unknown field is reported and ignored. `extends` may
 * also name `host-cpu` (this machine's CPU, host.ts). `efficiency` is an object of op class: a number in
 * (0, 10] (`default` for the classes not listed); `calibration` the metadata of `netcost calibrate`.
 */
export function parseTargets(raw: unknown): { targets: Target[]; errors: string[] } {
  const targets: Target[] = [];
  const errors: string[] = [];
  if (raw === undefined || raw === null) return { targets, errors };
  if (!Array.isArray(raw)) return { targets, errors: [`targets: expected an array of target objects, got ${show(raw)}`] };
  raw.forEach((e, i) => {
    const where = (id?: unknown) => `targets[${i}]${typeof id === 'string' && id ? ` (${id})` : ''}`;
    if (!isObject(e)) { errors.push(`${where()}: expected an object, got ${show(e)}`); return; }
    const at = where(e.id);
    const bad: string[] = [];
    for (const k of Object.keys(e)) if (!FIELDS.has(k)) errors.push(`${at}: unknown field \`${k}\` (ignored)`);
    if (typeof e.id !== 'string' || !ID.test(e.id)) bad.push(`id: expected a name of letters, digits, '.', '_' or '-', got ${show(e.id)}`);
    let base: Target | undefined;
    if (e.extends !== undefined) {
      base = typeof e.extends === 'string' ? (e.extends === HOST_CPU ? hostCpu() : TARGETS.find((t) => t.id === e.extends)) : undefined;
      if (!base) bad.push(`extends: expected a built-in target (${TARGETS.map((t) => t.id).join(', ')}), got ${show(e.extends)}`);
    }
    if (e.name !== undefined && (typeof e.name !== 'string' || !e.name.trim())) bad.push(`name: expected a non-empty string, got ${show(e.name)}`);
    if (e.kind !== undefined ? !KINDS.includes(e.kind as TargetKind) : !base && e.extends === undefined)
      bad.push(`kind: expected one of ${KINDS.join(', ')}, got ${show(e.kind)}`);
    let peak: Partial<Record<Dtype, number>> | undefined;
    if (e.peak !== undefined) {
      if (!isObject(e.peak)) bad.push(`peak: expected an object of dtype: FLOP/s, got ${show(e.peak)}`);
      else {
        peak = {};
        for (const [k, v] of Object.entries(e.peak)) {
          if (!DTYPES.includes(k as Dtype)) bad.push(`peak.${k}: not a dtype (${DTYPES.join(', ')})`);
          else if (!positive(v)) bad.push(`peak.${k}: expected a positive finite number (FLOP/s), got ${show(v)}`);
          else peak[k as Dtype] = v;
        }
        if (!Object.keys(e.peak).length) bad.push('peak: expected at least one dtype');
      }
    } else if (!base && e.extends === undefined) bad.push('peak: required (an object of dtype: FLOP/s), or `extends` a built-in target');
    for (const [k, unit] of [['bandwidth', 'bytes/s'], ['memory', 'bytes']] as const) {
      if (e[k] !== undefined ? !positive(e[k]) : !base && e.extends === undefined) bad.push(`${k}: expected a positive finite number (${unit}), got ${show(e[k])}`);
    }
    if (e.channelMultiple !== undefined && !(Number.isSafeInteger(e.channelMultiple) && (e.channelMultiple as number) > 0))
      bad.push(`channelMultiple: expected a positive whole number, got ${show(e.channelMultiple)}`);
    if (e.launchOverhead !== undefined && !(typeof e.launchOverhead === 'number' && Number.isFinite(e.launchOverhead) && e.launchOverhead >= 0))
      bad.push(`launchOverhead: expected a finite number of seconds >= 0, got ${show(e.launchOverhead)}`);
    if (e.shuffle !== undefined && typeof e.shuffle !== 'boolean') bad.push(`shuffle: expected true or false, got ${show(e.shuffle)}`);
    if (e.precision !== undefined && !DTYPES.includes(e.precision as Dtype)) bad.push(`precision: expected one of ${DTYPES.join(', ')}, got ${show(e.precision)}`);
    let kernelDensity: Partial<Record<number, number>> | undefined;
    if (e.kernelDensity !== undefined) {
      if (!isObject(e.kernelDensity)) bad.push(`kernelDensity: expected an object of kernel size: relative density, got ${show(e.kernelDensity)}`);
      else {
        kernelDensity = {};
        for (const [k, v] of Object.entries(e.kernelDensity)) {
          if (!/^[1-9]\d*$/.test(k)) bad.push(`kernelDensity.${k}: expected a kernel size (a positive whole number)`);
          else if (!positive(v)) bad.push(`kernelDensity.${k}: expected a positive finite number, got ${show(v)}`);
          else kernelDensity[Number(k)] = v;
        }
      }
    }
    let efficiency: Record<string, number> | undefined;
    if (e.efficiency !== undefined) {
      if (!isObject(e.efficiency)) bad.push(`efficiency: expected an object of op class: fraction of the peak, got ${show(e.efficiency)}`);
      else {
        efficiency = {};
        for (const [k, v] of Object.entries(e.efficiency)) {
          if (!OP_CLASS.test(k)) bad.push(`efficiency.${k}: expected an op class (conv, dwconv, linear, ... or default)`);
          else if (!(positive(v) && v <= 10)) bad.push(`efficiency.${k}: expected a number in (0, 10], got ${show(v)}`);
          else efficiency[k] = v;
        }
      }
    }
    let calibration: Calibration | undefined;
    if (e.calibration !== undefined) {
      const c = e.calibration;
      if (!isObject(c)) bad.push(`calibration: expected an object (date, runtime, threads, models), got ${show(c)}`);
      else {
        for (const k of Object.keys(c)) if (!CALIBRATION_FIELDS.has(k)) errors.push(`${at}: unknown field \`calibration.${k}\` (ignored)`);
        const before = bad.length;
        if (!nonEmpty(c.date)) bad.push(`calibration.date: expected a non-empty string, got ${show(c.date)}`);
        if (!nonEmpty(c.runtime)) bad.push(`calibration.runtime: expected a non-empty string, got ${show(c.runtime)}`);
        if (!(Number.isSafeInteger(c.threads) && (c.threads as number) > 0)) bad.push(`calibration.threads: expected a positive whole number, got ${show(c.threads)}`);
        if (!(Array.isArray(c.models) && c.models.every(nonEmpty))) bad.push(`calibration.models: expected an array of file names, got ${show(c.models)}`);
        if (c.cpu !== undefined && !nonEmpty(c.cpu)) bad.push(`calibration.cpu: expected a non-empty string, got ${show(c.cpu)}`);
        const loo = c.leaveOneOut;
        if (loo !== undefined && !(isObject(loo) && typeof loo.medianAbsError === 'number' && loo.medianAbsError >= 0 && Number.isFinite(loo.medianAbsError) && typeof loo.worstFactor === 'number' && Number.isFinite(loo.worstFactor) && loo.worstFactor >= 1))
          bad.push(`calibration.leaveOneOut: expected { medianAbsError: a number >= 0, worstFactor: a number >= 1 }, got ${show(loo)}`);
        if (bad.length === before) {
          calibration = { date: c.date as string, runtime: c.runtime as string, threads: c.threads as number, models: [...(c.models as string[])] };
          if (c.cpu !== undefined) calibration.cpu = c.cpu as string;
          if (isObject(loo)) calibration.leaveOneOut = { medianAbsError: loo.medianAbsError as number, worstFactor: loo.worstFactor as number };
        }
      }
    }
    if (e.sources !== undefined && !(Array.isArray(e.sources) && e.sources.every((x) => typeof x === 'string')))
      bad.push(`sources: expected an array of strings, got ${show(e.sources)}`);
    if (!bad.length && targets.some((t) => t.id === e.id)) bad.push(`id: \`${e.id}\` is defined twice (the first one is kept)`);
    if (bad.length) { errors.push(...bad.map((b) => `${at}: ${b}`)); return; }
    const id = e.id as string;
    const t: Target = {
      id,
      name: (e.name as string | undefined) ?? (base ? `${base.name} (${id})` : id),
      kind: (e.kind as TargetKind | undefined) ?? base!.kind,
      peak: { ...(base?.peak ?? {}), ...peak },
      bandwidth: (e.bandwidth as number | undefined) ?? base!.bandwidth,
      memory: (e.memory as number | undefined) ?? base!.memory,
      channelMultiple: (e.channelMultiple as number | undefined) ?? base?.channelMultiple ?? 16,
      launchOverhead: (e.launchOverhead as number | undefined) ?? base?.launchOverhead ?? 0,
      shuffle: (e.shuffle as boolean | undefined) ?? base?.shuffle ?? true,
      sources: (e.sources as string[] | undefined) ?? (base ? [`extends ${base.id}`, ...base.sources] : []),
      user: true,
    };
    const kd = kernelDensity ?? base?.kernelDensity;
    if (kd) t.kernelDensity = kd;
    const precision = (e.precision as Dtype | undefined) ?? base?.precision;
    if (precision) t.precision = precision;
    // efficiency figures merge per class over the base's; calibration metadata is the entry's own
    const eff = base?.efficiency || efficiency ? { ...(base?.efficiency ?? {}), ...efficiency } : undefined;
    if (eff) t.efficiency = eff;
    if (calibration) t.calibration = calibration;
    targets.push(t);
  });
  return { targets, errors };
}
