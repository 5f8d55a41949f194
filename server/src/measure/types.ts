// The result of `netcost measure` (its --json output, `version` 1) and what calibration and the editor
// read. A measurement is data: pure modules (profile.ts, calibrate.ts, the editor's hovers) consume it;
// only measure.ts and runtime.ts touch ONNX Runtime.

/** One kernel of ONNX Runtime's optimized graph, as profiled. */
export interface MeasuredNode {
  /** the node's name in ONNX Runtime's optimized graph (the profile event's name without `_kernel_time`) */
  name: string;
  /** ONNX Runtime's op type: `Conv`, `FusedConv`, `ReorderInput` */
  opType: string;
  /** domain of the op in the optimized graph: '' (ai.onnx), `com.microsoft`, `com.microsoft.nchwc` */
  domain: string;
  /** the analysis layers this kernel computes: one, several when ONNX Runtime fused them, none for a kernel it inserted */
  layers: string[];
  /** own: one layer; fused: several; inserted: none (a layout conversion; its time goes to `attributedTo`) */
  kind: 'own' | 'fused' | 'inserted';
  /** for an inserted kernel: the kernel whose layers its time is attributed to (the producer of its input, else the consumer of its output); null if none */
  attributedTo: string | null;
  /** median over the profiled runs, seconds */
  measuredSeconds: number;
  /** the estimate of its layers on the target (roofline + launch overheads), seconds; 0 for an inserted kernel */
  estimatedSeconds: number;
}

/** One layer of the analysis (a `.net` layer, or a node of an ONNX model) with its measured share. */
export interface MeasuredLayer {
  name: string;
  /** 0-based line of the layer in the .net source (or in the ONNX listing) */
  line: number;
  /** the layer's op (`conv`, `linear`, ... or, for ONNX, the ONNX op type) */
  op: string;
  /** the op class calibration fits an efficiency for (hardware/opclass.ts) */
  opClass: string;
  /** FLOPs (2*MACs convention) and bytes moved, batch included: the roofline's inputs */
  flops: number;
  memoryBytes: number;
  /** whether the estimate counts a kernel launch for it (roofline.ts `launches`) */
  launches: boolean;
  /** the ONNX Runtime kernel that computed it (the first, for a layer exported as several ONNX nodes that ran in
   *  several kernels: its measured time is the sum of its shares); null: ONNX Runtime removed it (folded at load,
   *  an identity) */
  node: string | null;
  /** its share of that kernel's time, split among the kernel's layers by their estimated time (plus its
   *  share of inserted kernels attributed to that kernel); 0 when removed. Seconds. */
  measuredSeconds: number;
  /** the roofline estimate on the target, its launch overhead included, seconds */
  estimatedSeconds: number;
}

export interface OpClassTotal {
  opClass: string;
  layers: number;
  measuredSeconds: number;
  estimatedSeconds: number;
}

export interface Measurement {
  version: 1;
  /** the file given (.net or .onnx) */
  file: string;
  model: {
    /** the ONNX file ONNX Runtime ran (a temporary export for a .net file; deleted after the run) */
    path: string;
    /** true: exported from a .net file */
    exported: boolean;
    /** file: the model's own weights; filled: the file had none (stripped or external) and pseudo-random ones were written */
    weights: 'file' | 'filled';
  };
  runtime: { name: 'onnxruntime-node'; version: string; executionProvider: 'cpu'; threads: number; graphOptimizationLevel: 'all' };
  batch: number;
  dtype: string;
  warmup: number;
  runs: number;
  profiledRuns: number;
  /** the timed runs (profiling off), seconds */
  latency: { medianSeconds: number; p90Seconds: number; minSeconds: number; maxSeconds: number; samples: number[] };
  /** samples per second at `batch`: batch / median latency */
  throughput: number;
  /** creating the session (load + graph optimization), seconds */
  sessionSeconds: number;
  /** median over the profiled runs of the sum of kernel times, seconds */
  kernelSeconds: number;
  /** the target of the estimate: `--target`, else the `local-cpu` user target when defined, else `host-cpu` */
  target: { id: string; name: string };
  estimate: { seconds: number; launches: number };
  nodes: MeasuredNode[];
  layers: MeasuredLayer[];
  byOpClass: OpClassTotal[];
  /** what the user should know: filled weights, unmapped kernels, threads differing from the target's calibration */
  notes: string[];
}
