// The op class of a layer: the key of a target's per-op efficiency (calibration fits one per class) and
// of the measured-vs-estimated table per op type. A depthwise conv is its own class: it runs far below a
// dense conv's efficiency on every CPU and GPU. ONNX nodes map onto the same classes where the `.net`
// kind is the same computation, so a target calibrated on `.net` exports serves ONNX models too.
import type { Layer } from '../analysis/analyze';

const ONNX_CLASS: Record<string, string> = {
  Gemm: 'linear', MatMul: 'matmul', BatchNormalization: 'bn', Relu: 'relu', Clip: 'relu6', Add: 'add', Mul: 'mul',
  MaxPool: 'maxpool', AveragePool: 'avgpool', GlobalAveragePool: 'gap', Concat: 'concat', Softmax: 'softmax',
  LayerNormalization: 'ln', Gelu: 'gelu', Sigmoid: 'sigmoid', HardSwish: 'hswish', HardSigmoid: 'hsigmoid',
  Flatten: 'flatten', Reshape: 'reshape', Transpose: 'transpose', ConvTranspose: 'deconv',
};

/** `conv`, `dwconv`, `linear`, `attention`, ... for .net layers; an ONNX node (it has `opType`) gets the class
 *  of the .net kind computing the same (Gemm: linear, Conv with group = channels: dwconv), else its op type */
export function opClass(l: Layer & { opType?: string }): string {
  const c = l.inputShapes[0]?.[l.opType !== undefined ? 1 : 0];
  if (l.opType !== undefined) {
    if (l.opType === 'Conv') {
      const g = Number(l.attrs.group ?? 1);
      return g > 1 && g === c ? 'dwconv' : 'conv';
    }
    return ONNX_CLASS[l.opType] ?? l.opType;
  }
  if (l.op === 'conv' || l.op === 'pwconv') {
    const g = Number(l.attrs.g ?? 1);
    return g > 1 && g === c ? 'dwconv' : 'conv';
  }
  return l.op;
}
