#!/usr/bin/python3
"""Export the real-model ONNX fixtures in test/fixtures/onnx/, weights stripped, with an
independent per-node count of params and MACs next to each model.

Run once by hand, from the repository root (the tests never run it; they only read its output):

    /usr/bin/python3 scripts/export-onnx.py                 # all models
    /usr/bin/python3 scripts/export-onnx.py resnet18-opset9  # only the named fixtures

Needs Debian's system packages (use /usr/bin/python3: a pyenv `python3` on PATH lacks them):
python3-torch (1.13), python3-torchvision (0.14), python3-onnx (1.12), python3-numpy. No network:
the torchvision models are built with `weights=None` (random init; only shapes matter). The
exports are deterministic in structure; weight values are random and are stripped anyway.
Takes about a minute on 2 cores; vit_b_16 needs a few GB of RAM.

For every fixture it writes
  <model>-opset<N>.onnx  the torch.onnx.export output with every initializer's data removed
                         (name, dims, data_type kept; raw_data and the typed *_data fields cleared)
                         except small integer tensors (<= 64 elements: reshape shapes, axes,
                         pads...), which are kept. Constant nodes get the same treatment, except that
                         a Constant tensor of <= 64 elements is kept whatever its type (scalars such
                         as a GELU's 0.5 or an attention scale). The stripped file loads with
                         onnx.load but does NOT pass onnx.checker (tensors without data).
  <model>-opset<N>.json  the independent count, made from the UNSTRIPPED model:
                         onnx.shape_inference.infer_shapes (strict, data_prop=True) after binding
                         the symbolic dims (batch=1, seq=128) and constant-folding the
                         shape-computing subgraphs with numpy, then per node the params (elements
                         of the initializers it consumes) and MACs from the cost model's formulas
                         (docs: cost-model.md section 2): Conv, ConvTranspose, Gemm, MatMul; every
                         other op 0. Format: see test/fixtures/onnx/README.md.
It also checks, before stripping, that onnx.checker passes on the full model, and compares the
totals with PyTorch's own figures (sum of p.numel(); conv/linear/attention MACs counted with forward
hooks on the torch modules), which are recorded under "reference" in the JSON.
"""

import collections
import io
import json
import math
import os
import sys

import numpy as np
import onnx
import torch
import torchvision
from onnx import TensorProto, numpy_helper, shape_inference

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT_DIR = os.path.join(ROOT, "test", "fixtures", "onnx")

SMALL = 64  # tensors with at most this many elements keep their data (integers; any type in Constant)
INT_TYPES = {TensorProto.INT8, TensorProto.INT16, TensorProto.INT32, TensorProto.INT64,
             TensorProto.UINT8, TensorProto.UINT16, TensorProto.UINT32, TensorProto.UINT64,
             TensorProto.BOOL}
FLOAT_TYPES = {TensorProto.FLOAT, TensorProto.FLOAT16, TensorProto.DOUBLE, TensorProto.BFLOAT16}
DATA_FIELDS = ("raw_data", "float_data", "int32_data", "string_data", "int64_data",
               "double_data", "uint64_data")


# ----------------------------------------------------------------------------- the models

class BertLikeEncoder(torch.nn.Module):
    """A BERT-base-like stack: d_model 768, 12 heads, FFN 3072, GELU, 4 layers, batch-first."""

    def __init__(self):
        super().__init__()
        layer = torch.nn.TransformerEncoderLayer(d_model=768, nhead=12, dim_feedforward=3072,
                                                 dropout=0.1, activation="gelu", batch_first=True)
        self.encoder = torch.nn.TransformerEncoder(layer, num_layers=4, enable_nested_tensor=False)

    def forward(self, x):
        return self.encoder(x)


def tv(name):
    return lambda: getattr(torchvision.models, name)(weights=None)


IMAGE = (1, 3, 224, 224)
FIXTURES = [
    # name, builder, input shape (bound values), opset, constant folding, dynamic axes, training mode
    dict(file="resnet18-opset13", build=tv("resnet18"), shape=IMAGE, opset=13, fold=True),
    dict(file="resnet50-opset13", build=tv("resnet50"), shape=IMAGE, opset=13, fold=True),
    dict(file="mobilenet_v2-opset13", build=tv("mobilenet_v2"), shape=IMAGE, opset=13, fold=True),
    dict(file="mobilenet_v3_small-opset17", build=tv("mobilenet_v3_small"), shape=IMAGE,
         opset=17, fold=True),
    dict(file="vit_b_16-opset17", build=tv("vit_b_16"), shape=IMAGE, opset=17, fold=True,
         dynamic={0: "batch"}),
    # Older opset, no constant folding, BatchNormalization kept as its own node (TrainingMode.PRESERVE
    # of a model in eval mode: the exporter's Conv+BN fusion only runs for TrainingMode.EVAL).
    dict(file="resnet18-opset9", build=tv("resnet18"), shape=IMAGE, opset=9, fold=False,
         preserve=True),
    # Clip with min/max attributes (inputs from opset 11 on), no constant folding.
    dict(file="mobilenet_v2-opset9", build=tv("mobilenet_v2"), shape=IMAGE, opset=9, fold=False),
    # Symbolic batch and sequence dims, no constant folding: Shape->Gather->Concat->Reshape chains,
    # weights reaching MatMul through Transpose nodes, LayerNorm decomposed (no LayerNormalization
    # before opset 17), Unsqueeze/Squeeze/ReduceMean axes as attributes (inputs from opset 13/18).
    dict(file="bert_encoder-opset11", build=BertLikeEncoder, shape=(1, 128, 768), opset=11,
         fold=False, dynamic={0: "batch", 1: "seq"}),
]
BIND = {"batch": 1, "seq": 128}


# ----------------------------------------------------------------------------- export

def randomize(model):
    """Give every float parameter and buffer distinct random values. A freshly built torchvision
    model has many equal tensors (BN gamma=1, beta=0, running stats 0/1, LayerNorm 1/0, zero
    heads); the exporter deduplicates equal initializers and aliases them through Identity nodes,
    and Conv+BN folding turns them into equal zero biases. A trained model has none of that."""
    with torch.no_grad():
        for t in list(model.parameters()) + list(model.buffers()):
            if t.is_floating_point():
                t.copy_(torch.rand_like(t) * 0.1 + 0.05)  # positive: valid running_var too


def export(fx):
    torch.manual_seed(0)
    model = fx["build"]().eval()
    randomize(model)
    x = torch.randn(*fx["shape"])
    dyn = fx.get("dynamic")
    kwargs = {}
    if dyn:
        kwargs["dynamic_axes"] = {"input": dict(dyn), "output": dict(dyn)}
    if fx.get("preserve"):
        kwargs["training"] = torch.onnx.TrainingMode.PRESERVE
    buf = io.BytesIO()
    torch.onnx.export(model, x, buf, opset_version=fx["opset"], do_constant_folding=fx["fold"],
                      input_names=["input"], output_names=["output"], **kwargs)
    return model, x, onnx.load_from_string(buf.getvalue())


# ----------------------------------------------------------------------------- torch reference

def torch_reference(model, x):
    """Params as PyTorch counts them and MACs of Conv/Linear/MultiheadAttention from forward hooks."""
    macs = collections.Counter()

    def conv_hook(m, inp, out):
        # K_h*K_w*(C_in/g)*C_out * N*H_out*W_out == weight.numel() * N * spatial(out)
        macs["conv"] += m.weight.numel() * out.shape[0] * math.prod(out.shape[2:])

    def linear_hook(m, inp, out):
        macs["linear"] += m.weight.numel() * math.prod(out.shape[:-1])

    def mha_hook(m, inp, out):
        # self-attention, batch_first (vit and the encoder both are): output [N, L, E] as the query
        n, length, e = out[0].shape
        macs["attention_projections"] += 4 * n * length * e * e   # q, k, v, out
        macs["attention_matmuls"] += 2 * n * length * length * e  # scores, weighted sum

    hooks = []
    for mod in model.modules():
        if isinstance(mod, torch.nn.MultiheadAttention):
            hooks.append(mod.register_forward_hook(mha_hook))
        elif isinstance(mod, (torch.nn.Conv1d, torch.nn.Conv2d, torch.nn.Conv3d)):
            hooks.append(mod.register_forward_hook(conv_hook))
        elif isinstance(mod, torch.nn.Linear) and not isinstance(
                mod, torch.nn.modules.linear.NonDynamicallyQuantizableLinear):
            # MHA's out_proj is a NonDynamicallyQuantizableLinear called through F.linear (no hook);
            # it is counted by mha_hook.
            hooks.append(mod.register_forward_hook(linear_hook))
    with torch.enable_grad():  # grad enabled: no fused fast path, so every module's hook runs
        y = model(x)
    for h in hooks:
        h.remove()
    bn_channels = sum(m.num_features for m in model.modules()
                      if isinstance(m, torch.nn.modules.batchnorm._BatchNorm))
    return {
        "torch_params": sum(p.numel() for p in model.parameters()),
        "torch_buffers": sum(b.numel() for n, b in model.named_buffers()
                             if not n.endswith("num_batches_tracked")),
        "batchnorm_channels": bn_channels,
        "hook_macs": dict(macs),
        "hook_macs_total": sum(macs.values()),
        "torch_output_shape": list(y.shape),
    }


# ----------------------------------------------------------------------------- shapes

def bind_dims(model):
    """A copy with every symbolic dim of the inputs/outputs bound from BIND, value_info dropped."""
    m = onnx.ModelProto()
    m.CopyFrom(model)
    del m.graph.value_info[:]
    used = {}
    for vi in list(m.graph.input) + list(m.graph.output):
        for d in vi.type.tensor_type.shape.dim:
            if d.HasField("dim_param"):
                if d.dim_param not in BIND:
                    raise SystemExit(f"unbound symbolic dim {d.dim_param!r} in {vi.name}")
                used[d.dim_param] = BIND[d.dim_param]
                d.dim_value = BIND[d.dim_param]
    return m, used


def symbolic_dims(model):
    out = {}
    for vi in list(model.graph.input) + list(model.graph.output):
        dims = [d.dim_param if d.HasField("dim_param") else d.dim_value
                for d in vi.type.tensor_type.shape.dim]
        out[vi.name] = dims
    return out


def shape_table(inferred):
    shapes, dtypes = {}, {}
    g = inferred.graph
    for vi in list(g.input) + list(g.value_info) + list(g.output):
        tt = vi.type.tensor_type
        dtypes[vi.name] = tt.elem_type
        if tt.HasField("shape"):
            dims = []
            for d in tt.shape.dim:
                dims.append(d.dim_value if d.HasField("dim_value") else None)
            shapes[vi.name] = dims
    for t in g.initializer:
        shapes[t.name] = list(t.dims)
        dtypes[t.name] = t.data_type
    return shapes, dtypes


# ----------------------------------------------------------------------------- shape folding

def _np_dtype(onnx_type):
    return onnx.mapping.TENSOR_TYPE_TO_NP_TYPE[onnx_type]


def _eval(node, vals, shapes):
    """numpy value of a shape-computing node's first output, or None when it cannot be folded."""
    op = node.op_type
    if op == "Constant":
        for a in node.attribute:
            if a.name == "value":
                return numpy_helper.to_array(a.t)
            if a.name in ("value_int", "value_ints"):
                return np.array(onnx.helper.get_attribute_value(a), dtype=np.int64)
            if a.name in ("value_float", "value_floats"):
                return np.array(onnx.helper.get_attribute_value(a), dtype=np.float32)
        return None
    if op == "Shape":
        s = shapes.get(node.input[0])
        if s is None or any(d is None for d in s):
            return None
        s = s[attr(node, "start", 0):attr(node, "end", len(s))] if node.attribute else s
        return np.array(s, dtype=np.int64)
    ins = [vals.get(i) if i else None for i in node.input]
    if any(i and v is None for i, v in zip(node.input, ins)):
        return None
    x = ins[0]
    if op in ("Identity",):
        return x
    if op == "Cast":
        return x.astype(_np_dtype(attr(node, "to", 1)))
    if op == "Gather":
        return np.take(x, ins[1], axis=attr(node, "axis", 0))
    if op in ("Unsqueeze", "Squeeze"):
        axes = ins[1] if len(ins) > 1 and ins[1] is not None else attr(node, "axes", None)
        if op == "Squeeze":
            return np.squeeze(x, axis=None if axes is None else tuple(int(a) for a in axes))
        rank = x.ndim + len(axes)
        for a in sorted(int(a) % rank for a in axes):
            x = np.expand_dims(x, a)
        return x
    if op == "Concat":
        return np.concatenate(ins, axis=attr(node, "axis", 0))
    if op in ("Add", "Sub", "Mul", "Div", "Equal"):
        a, b = ins
        if op == "Div" and a.dtype.kind in "iu":
            return (np.trunc(a / b)).astype(np.result_type(a, b))
        return {"Add": np.add, "Sub": np.subtract, "Mul": np.multiply, "Div": np.divide,
                "Equal": np.equal}[op](a, b)
    if op == "Where":
        return np.where(*ins)
    if op == "ConstantOfShape":
        v = attr(node, "value", None)
        v = numpy_helper.to_array(v).reshape(-1)[0:1] if v is not None else np.zeros(1, np.float32)
        return np.full(tuple(int(d) for d in x), v[0], dtype=v.dtype)
    if op == "Expand":
        return np.broadcast_to(x, np.broadcast_shapes(x.shape, tuple(int(d) for d in ins[1]))).copy()
    if op == "Range":
        return np.arange(ins[0], ins[1], ins[2])
    if op == "Reshape":
        target = [int(d) for d in ins[1]]
        target = [x.shape[i] if d == 0 else d for i, d in enumerate(target)]
        return x.reshape(target)
    if op == "Slice":
        if len(ins) == 1:  # opset < 10: attributes
            starts, ends, axes, steps = attr(node, "starts", []), attr(node, "ends", []), \
                attr(node, "axes", None), None
        else:
            starts, ends = ins[1], ins[2]
            axes = ins[3] if len(ins) > 3 and ins[3] is not None else None
            steps = ins[4] if len(ins) > 4 and ins[4] is not None else None
        axes = list(range(len(starts))) if axes is None else axes
        steps = [1] * len(starts) if steps is None else steps
        index = [slice(None)] * x.ndim
        for st, en, ax, sp in zip(starts, ends, axes, steps):
            index[int(ax)] = slice(int(st), int(en), int(sp))
        return x[tuple(index)]
    return None


def fold_shape_subgraphs(model):
    """Constant-fold the shape-computing subgraphs (Shape -> Gather -> ... -> Reshape) with numpy
    so that ONNX shape inference (which in onnx 1.12 cannot propagate values through Div, Cast,
    Where...) reaches every tensor. Only small results are folded (<= SMALL elements, or any integer
    tensor). Returns (model with the folded nodes replaced by initializers, {output name: value})."""
    m = onnx.ModelProto()
    m.CopyFrom(model)
    vals = {t.name: numpy_helper.to_array(t) for t in m.graph.initializer
            if t.data_type in INT_TYPES and math.prod(t.dims) <= SMALL}
    folded = {}
    graph_outputs = {o.name for o in m.graph.output}
    for _ in range(100):
        inferred = shape_inference.infer_shapes(m, data_prop=True)
        shapes, _ = shape_table(inferred)
        keep, changed = [], False
        for node in m.graph.node:
            v = None
            if len(node.output) == 1 and node.output[0] not in graph_outputs and not node.domain:
                v = _eval(node, vals, shapes)
            if v is not None and (v.size <= SMALL or v.dtype.kind in "iub"):
                v = np.asarray(v)
                vals[node.output[0]] = folded[node.output[0]] = v
                m.graph.initializer.append(numpy_helper.from_array(v, node.output[0]))
                changed = True
            else:
                keep.append(node)
        if not changed:
            return m, folded
        del m.graph.node[:]
        m.graph.node.extend(keep)
    raise RuntimeError("shape folding did not converge")


# ----------------------------------------------------------------------------- the count

def attr(node, name, default):
    for a in node.attribute:
        if a.name == name:
            return onnx.helper.get_attribute_value(a)
    return default


def node_macs(node, shapes):
    """MACs of one node from the cost-model formulas; (macs, formula text)."""
    op = node.op_type
    if op == "Conv":
        w = shapes[node.input[1]]            # [C_out, C_in/g, K...]
        y = shapes[node.output[0]]           # [N, C_out, spatial...]
        macs = math.prod(w) * y[0] * math.prod(y[2:])
        k = "*".join(map(str, w[2:]))
        return macs, (f"K({k})*(C_in/g)={w[1]}*C_out={w[0]}*out_spatial("
                      f"{'*'.join(map(str, y[2:]))})*N={y[0]}")
    if op == "ConvTranspose":
        w = shapes[node.input[1]]            # [C_in, C_out/g, K...]
        xs = shapes[node.input[0]]           # [N, C_in, spatial...]
        g = attr(node, "group", 1)
        macs = math.prod(w[2:]) * (w[0] // g) * (w[1] * g) * xs[0] * math.prod(xs[2:])
        return macs, (f"K({'*'.join(map(str, w[2:]))})*(C_in/g)={w[0] // g}*C_out={w[1] * g}"
                      f"*in_spatial({'*'.join(map(str, xs[2:]))})*N={xs[0]}")
    if op == "Gemm":
        a, b = shapes[node.input[0]], shapes[node.input[1]]
        m, k = (a[1], a[0]) if attr(node, "transA", 0) else (a[0], a[1])
        k2, n = (b[1], b[0]) if attr(node, "transB", 0) else (b[0], b[1])
        assert k == k2, (node.name, a, b)
        return m * k * n, f"M={m}*K={k}*N={n}"
    if op == "MatMul":
        a, b = list(shapes[node.input[0]]), list(shapes[node.input[1]])
        if len(a) == 1:
            a = [1] + a
        if len(b) == 1:
            b = b + [1]
        assert a[-1] == b[-2], (node.name, a, b)
        batch_dims = list(np.broadcast_shapes(tuple(a[:-2]), tuple(b[:-2])))
        batch = math.prod(batch_dims)
        m, k, n = a[-2], a[-1], b[-1]
        return batch * m * k * n, f"batch({'*'.join(map(str, batch_dims)) or 1})*M={m}*K={k}*N={n}"
    return 0, None


def count(model, fx):
    """The JSON record, from the unstripped model."""
    bound, used = bind_dims(model)
    folded_model, folded = fold_shape_subgraphs(bound)
    inferred = shape_inference.infer_shapes(folded_model, check_type=True, strict_mode=True,
                                            data_prop=True)
    shapes, dtypes = shape_table(inferred)
    for name, v in folded.items():  # folded outputs: shape and type of the computed value
        shapes[name] = list(v.shape)
        dtypes[name] = onnx.mapping.NP_TYPE_TO_TENSOR_TYPE[v.dtype]
    inits = {t.name: t for t in model.graph.initializer}
    nodes, unknown = [], []
    per_op = collections.OrderedDict()
    consumed = set()
    # Constant subexpressions (e.g. Transpose(weight) when constant folding was off): which float
    # initializers each constant tensor derives from, to credit them to the first non-constant
    # consumer ("params_after_folding").
    const_origin = {n: ({n} if t.data_type in FLOAT_TYPES else set()) for n, t in inits.items()}
    for i, node in enumerate(model.graph.node):
        out_shapes = [shapes.get(o) for o in node.output]
        for o, s in zip(node.output, out_shapes):
            if s is None or any(d is None for d in s):
                unknown.append(o)
        init_in = []
        for name in node.input:
            if name in inits:
                t = inits[name]
                init_in.append({"name": name, "dims": list(t.dims),
                                "data_type": TensorProto.DataType.Name(t.data_type),
                                "elements": math.prod(t.dims)})
        params = sum(e["elements"] for e in init_in if inits[e["name"]].data_type in FLOAT_TYPES)
        params_all = sum(e["elements"] for e in init_in)
        consumed.update(e["name"] for e in init_in)
        macs, formula = node_macs(node, shapes)
        real_inputs = [n for n in node.input if n]
        if node.op_type != "Shape" and all(n in const_origin for n in real_inputs):
            origin = set().union(*[const_origin[n] for n in real_inputs]) if real_inputs else set()
            for o in node.output:
                const_origin[o] = origin
            params_folded = 0
        else:
            origin = set().union(*[const_origin.get(n, set()) for n in real_inputs])
            params_folded = sum(math.prod(inits[n].dims) for n in origin)
        rec = {"index": i, "name": node.name, "op_type": node.op_type,
               "inputs": list(node.input), "outputs": list(node.output),
               "output_shapes": out_shapes,
               "output_types": [TensorProto.DataType.Name(dtypes[o]) if o in dtypes else None
                                for o in node.output],
               "initializer_inputs": init_in, "params": params,
               "params_all_initializers": params_all, "params_after_folding": params_folded,
               "macs": macs}
        if node.domain:
            rec["domain"] = node.domain
        if formula:
            rec["mac_formula"] = formula
        values = [folded[o].tolist() if o in folded and folded[o].size <= SMALL else None
                  for o in node.output]
        if any(v is not None for v in values):
            rec["output_values"] = values  # small results of shape-computing nodes, folded
        nodes.append(rec)
        s = per_op.setdefault(node.op_type, {"count": 0, "params": 0, "macs": 0})
        s["count"] += 1
        s["params"] += params
        s["macs"] += macs
    unique_params = sum(math.prod(inits[n].dims) for n in consumed
                        if inits[n].data_type in FLOAT_TYPES)
    return {
        "file": fx["file"] + ".onnx",
        "model": fx["file"].rsplit("-opset", 1)[0],
        "producer": f"{model.producer_name} {model.producer_version}",
        "ir_version": model.ir_version,
        "opset": {(o.domain or "ai.onnx"): o.version for o in model.opset_import},
        "export": {"opset_version": fx["opset"], "do_constant_folding": fx["fold"],
                   "training": "PRESERVE (model in eval mode)" if fx.get("preserve") else "EVAL",
                   "dynamic_axes": {str(k): v for k, v in (fx.get("dynamic") or {}).items()}},
        "inputs_as_stored": symbolic_dims(model),
        "bound_dims": used,
        "input_shape_bound": list(fx["shape"]),
        "totals": {
            "nodes": len(nodes),
            "initializers": len(model.graph.initializer),
            "params": unique_params,
            "params_sum_over_nodes": sum(n["params"] for n in nodes),
            "params_after_folding_sum_over_nodes": sum(n["params_after_folding"] for n in nodes),
            "macs": sum(n["macs"] for n in nodes),
            "op_types": dict(sorted(collections.Counter(n["op_type"] for n in nodes).items())),
            "by_op": per_op,
        },
        "folded_nodes": len(folded),
        "unknown_shapes": unknown,
        "nodes": nodes,
    }


# ----------------------------------------------------------------------------- stripping

def strip_tensor(t, keep):
    if keep:
        return
    for f in DATA_FIELDS:
        t.ClearField(f)


def strip(model):
    m = onnx.ModelProto()
    m.CopyFrom(model)
    stripped = 0
    for t in m.graph.initializer:
        keep = t.data_type in INT_TYPES and math.prod(t.dims) <= SMALL
        stripped += not keep
        strip_tensor(t, keep)
    for node in m.graph.node:
        if node.op_type != "Constant":
            continue
        for a in node.attribute:
            if a.type == onnx.AttributeProto.TENSOR:
                keep = math.prod(a.t.dims) <= SMALL
                stripped += not keep
                strip_tensor(a.t, keep)
    entry = m.metadata_props.add()
    entry.key = "netcost.stripped"
    entry.value = ("initializer data removed (dims and data_type kept) except integer tensors of "
                   f"<= {SMALL} elements; made by scripts/export-onnx.py")
    return m, stripped


# ----------------------------------------------------------------------------- main

def main(argv):
    wanted = set(argv)
    os.makedirs(OUT_DIR, exist_ok=True)
    for fx in FIXTURES:
        if wanted and fx["file"] not in wanted:
            continue
        print(f"== {fx['file']}", flush=True)
        model, x, proto = export(fx)
        onnx.checker.check_model(proto)  # full model, before stripping
        record = count(proto, fx)
        ref = torch_reference(model, x)
        record["reference"] = ref
        tot = record["totals"]
        print(f"   nodes {tot['nodes']}  params {tot['params']:,} (torch {ref['torch_params']:,}, "
              f"BN channels {ref['batchnorm_channels']:,})  MACs {tot['macs']:,} "
              f"(hooks {ref['hook_macs_total']:,})")
        graph_out = {n["outputs"][0]: n["output_shapes"][0] for n in record["nodes"]}["output"]
        assert graph_out == ref["torch_output_shape"], (graph_out, ref["torch_output_shape"])
        if record["unknown_shapes"]:
            print(f"   WARNING: {len(record['unknown_shapes'])} outputs without a static shape")
        stripped, n = strip(proto)
        onnx_path = os.path.join(OUT_DIR, fx["file"] + ".onnx")
        with open(onnx_path, "wb") as f:
            f.write(stripped.SerializeToString())
        with open(os.path.join(OUT_DIR, fx["file"] + ".json"), "w") as f:
            # one node per line: readable diffs, small file
            nodes = record.pop("nodes")
            text = json.dumps(record, indent=1)
            f.write(text[:-2] + ',\n "nodes": [\n')
            f.write(",\n".join("  " + json.dumps(r, separators=(",", ":")) for r in nodes))
            f.write("\n ]\n}\n")
        reloaded = onnx.load(onnx_path)
        assert len(reloaded.graph.node) == tot["nodes"]
        print(f"   wrote {onnx_path} ({os.path.getsize(onnx_path):,} bytes, {n} tensors stripped)")


if __name__ == "__main__":
    main(sys.argv[1:])
