// The `host-cpu` target: this machine's CPU from its specifications, uncalibrated (what `netcost
// calibrate` starts from and compares against). Peak = threads x clock x FLOPs per cycle of the widest
// vector ISA the CPU reports; memory bandwidth cannot be read from the system, so it is a stated
// assumption. Reads /proc/cpuinfo once (Linux; elsewhere `os` only), so the target is the same on every
// call on a given machine. Not in TARGETS: the README's tables must not depend on the machine.
import { availableParallelism, cpus, arch, totalmem, platform } from 'node:os';
import { readFileSync } from 'node:fs';
import type { Target } from './targets';

export const HOST_CPU = 'host-cpu';

/** What the target is built from (exported for tests and the docs' worked example). */
export interface HostSpecs {
  model: string;
  /** physical cores, and how they were counted */
  physicalCores: number;
  coresFrom: string;
  /** clock in MHz, and where it was read */
  mhz: number;
  mhzFrom: string;
  /** the vector ISA chosen and its fp32 FLOPs per cycle per core */
  isa: string;
  flopsPerCycle: number;
  lanes: number;
}

/** fp32 FLOPs per cycle and core of each ISA, with the reasoning (FMA = 2 FLOPs per lane) */
const ISA: { name: string; flopsPerCycle: number; lanes: number; why: string }[] = [
  { name: 'avx512f', flopsPerCycle: 64, lanes: 16, why: '2 FMA units x 16 fp32 lanes x 2 (Intel 64 and IA-32 Architectures Optimization Reference Manual: Xeon Scalable Gold/Platinum have two 512-bit FMA units; Software Optimization Guide for AMD Zen 5: two 512-bit FMA pipes on desktop and server parts; CPUs with one 512-bit FMA unit, or Zen 4 (two 256-bit halves), reach half)' },
  { name: 'avx2+fma', flopsPerCycle: 32, lanes: 8, why: '2 FMA units x 8 fp32 lanes x 2 (Intel Optimization Reference Manual: Haswell and later; AMD Zen 2-4 Software Optimization Guides: two 256-bit FMA pipes)' },
  { name: 'avx', flopsPerCycle: 16, lanes: 8, why: '1 add + 1 multiply unit x 8 fp32 lanes (Intel Optimization Reference Manual: Sandy Bridge, no FMA)' },
  { name: 'sse', flopsPerCycle: 8, lanes: 4, why: '1 add + 1 multiply unit x 4 fp32 lanes (SSE on any x86-64)' },
  { name: 'neon', flopsPerCycle: 16, lanes: 4, why: '2 NEON FMA pipes x 4 fp32 lanes x 2 (Arm Cortex-A76/A78/X1 Software Optimization Guides: two 128-bit FMA pipes)' },
];

/** an assumption: the memory of the machine cannot be read without privileges (dmidecode) */
export const ASSUMED_BANDWIDTH = 51.2e9;
const BANDWIDTH_WHY = 'assumption: dual-channel DDR4-3200 (2 channels x 8 bytes x 3200 MT/s = 51.2 GB/s); the memory\'s real speed is not readable without privileges';
/** an estimate of ONNX Runtime's per-operator cost on a CPU: the executor's dispatch plus a thread-pool fork/join */
export const ASSUMED_LAUNCH = 3e-6;
const LAUNCH_WHY = 'estimate: ONNX Runtime CPU dispatch ~1 us per node plus ~2 us to fork and join its intra-op thread pool';

function cpuinfo(): string {
  if (platform() !== 'linux') return '';
  try {
    return readFileSync('/proc/cpuinfo', 'utf8');
  } catch {
    return '';
  }
}

function readNumber(path: string): number | undefined {
  try {
    const v = Number(readFileSync(path, 'utf8').trim());
    return Number.isFinite(v) && v > 0 ? v : undefined;
  } catch {
    return undefined;
  }
}

/** This machine's CPU specifications, from /proc/cpuinfo and sysfs when present, else from `os`. */
export function hostSpecs(info = cpuinfo()): HostSpecs {
  const fields = (key: string) => [...info.matchAll(new RegExp(`^${key}\\s*:\\s*(.*)$`, 'gm'))].map((m) => m[1].trim());
  const model = fields('model name')[0] ?? cpus()[0]?.model?.trim() ?? `${arch()} CPU`;

  // physical cores: distinct (physical id, core id) pairs; ONNX Runtime's default intra-op pool has one thread per physical core
  const phys = fields('physical id');
  const core = fields('core id');
  let physicalCores: number;
  let coresFrom: string;
  if (core.length && core.length === phys.length) {
    physicalCores = new Set(core.map((c, i) => `${phys[i]}:${c}`)).size;
    coresFrom = '/proc/cpuinfo distinct (physical id, core id)';
  } else {
    physicalCores = availableParallelism();
    coresFrom = 'os.availableParallelism() (logical CPUs: physical cores are not readable here)';
  }

  // clock: the maximum frequency when sysfs gives it, else the current one of /proc/cpuinfo, else os.cpus()
  let mhz = 0;
  let mhzFrom = '';
  const max = readNumber('/sys/devices/system/cpu/cpu0/cpufreq/cpuinfo_max_freq');
  const cur = Number(fields('cpu MHz')[0]);
  const osMhz = cpus()[0]?.speed ?? 0;
  if (max) [mhz, mhzFrom] = [max / 1000, '/sys/devices/system/cpu/cpu0/cpufreq/cpuinfo_max_freq'];
  else if (cur > 0) [mhz, mhzFrom] = [cur, '/proc/cpuinfo "cpu MHz"'];
  else if (osMhz > 0) [mhz, mhzFrom] = [osMhz, 'os.cpus()[0].speed'];
  else [mhz, mhzFrom] = [2000, 'assumption: 2 GHz (no clock readable)'];

  const flags = new Set((fields('flags')[0] ?? fields('Features')[0] ?? '').split(/\s+/));
  const isArm = arch() === 'arm64' || flags.has('asimd');
  const name = flags.has('avx512f') ? 'avx512f' : flags.has('avx2') && flags.has('fma') ? 'avx2+fma' : flags.has('avx') ? 'avx'
    : isArm ? 'neon' : 'sse';
  const isa = ISA.find((x) => x.name === name)!;
  return { model, physicalCores, coresFrom, mhz, mhzFrom, isa: isa.name, flopsPerCycle: isa.flopsPerCycle, lanes: isa.lanes };
}

let specs: HostSpecs | undefined;
const cache = new Map<number, Target>();

/**
 * This machine's CPU as an uncalibrated target: fp32 peak = threads x clock x FLOPs per cycle, the
 * assumed bandwidth, all of its RAM. `threads` defaults to the physical cores (ONNX Runtime's default).
 */
export function hostCpu(threads?: number): Target {
  specs ??= hostSpecs();
  const s = specs;
  const n = threads && threads > 0 ? Math.floor(threads) : s.physicalCores;
  const hit = cache.get(n);
  if (hit) return hit;
  const isa = ISA.find((x) => x.name === s.isa)!;
  const peak = n * s.mhz * 1e6 * s.flopsPerCycle;
  const t: Target = {
    id: HOST_CPU, name: `${s.model} (${n} thread${n === 1 ? '' : 's'}, ${s.isa})`, kind: 'cpu',
    peak: { fp32: peak },
    bandwidth: ASSUMED_BANDWIDTH, memory: totalmem(), channelMultiple: s.lanes, launchOverhead: ASSUMED_LAUNCH, shuffle: true,
    sources: [
      `fp32 peak ${(peak / 1e9).toFixed(1)} GFLOP/s = ${n} threads x ${s.mhz} MHz x ${s.flopsPerCycle} FLOP/cycle`,
      `threads: ${threads && threads > 0 ? 'given' : `ONNX Runtime's default, one per physical core: ${s.physicalCores} from ${s.coresFrom}`}`,
      `clock: ${s.mhz} MHz from ${s.mhzFrom}`,
      `FLOP/cycle: ${s.isa} (/proc/cpuinfo flags, else the architecture): ${isa.why}`,
      `bandwidth: ${BANDWIDTH_WHY}`,
      'memory: os.totalmem()',
      `channel multiple: ${s.lanes} fp32 lanes of ${s.isa}`,
      `launch overhead: ${LAUNCH_WHY}`,
      'uncalibrated: `netcost calibrate` fits this machine\'s real figures (docs/measure.md)',
    ],
  };
  cache.set(n, t);
  return t;
}
