// Hardware targets: what a device can compute and move, for the roofline estimate (roofline.ts) and the
// target-dependent lint rules. Built-in profiles cite their public sources (docs/hardware.md has the
// table); users add their own in the setting `netcost.targets` or in a `netcost.json` (config.ts).
import type { Dtype } from '../analysis/analyze';

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
}

/** The peak a layer computing in `dtype` can reach on `t`: the dtype's own peak, else fp32's (a device without fp16 units computes fp16 as fp32). */
export function peakFor(t: Target, dtype: Dtype): number {
  return t.peak[dtype] ?? (dtype === 'bf16' ? t.peak.fp16 : undefined) ?? t.peak.fp32 ?? Math.max(...Object.values(t.peak).map(Number));
}

/** The target of the editor and the lint rules when none is chosen. */
export const DEFAULT_TARGET = 't4';

/** The built-in profiles (docs/hardware.md lists each number with its source). */
export const TARGETS: Target[] = []; // FILLED BY THE HARDWARE WORK (helper): T4, RTX A4000, A100, H100, Jetson Orin Nano, phone CPU + NPU, Raspberry Pi CPU, NNIE/Horizon NPU

/** A target by id; user targets come first (one may replace a built-in profile of the same id). */
export function findTarget(id: string, user: Target[] = []): Target | undefined {
  return user.find((t) => t.id === id) ?? TARGETS.find((t) => t.id === id);
}

/** User targets from a setting or a `netcost.json` `targets` array: validated; each problem is a message naming the target and field. */
export function parseTargets(raw: unknown): { targets: Target[]; errors: string[] } {
  void raw;
  return { targets: [], errors: [] }; // IMPLEMENTED BY THE HARDWARE WORK
}
