"""DeepCache (cache_branch_id 0) on the exported UNet graph, the way the Java pipeline does it.

* full step: the unchanged graph plus one extra output, the cut tensor
  /up_blocks.3/attentions.1/Add_output_0 (the output of up_blocks.3.attentions.1);
* shallow step: the sub-graph from (sample, timestep, encoder_hidden_states, cut tensor) to out_sample,
  extracted by a backward walk from out_sample (what onnx.utils.Extractor gives): time embedding, conv_in, the skip Concat
  /up_blocks.3/Concat_2, up_blocks.3.resnets.2, up_blocks.3.attentions.2 and the output head.
Schedule (DeepCacheSDHelper, skip_mode "uniform"): at each call i = the first index of t in the
scheduler's timesteps; a call is full when (i - i0) % interval == 0, i0 being the first call's i.
"""
import onnx

CUT = "/up_blocks.3/attentions.1/Add_output_0"
INPUTS = ["sample", "timestep", "encoder_hidden_states"]


def _session(model, providers, threads=None):
    import onnxruntime as ort
    opt = ort.SessionOptions()
    if threads:
        opt.intra_op_num_threads = threads
    return ort.InferenceSession(model.SerializeToString(), opt, providers=providers)


def full_model(path):
    m = onnx.load(path)
    m.graph.output.append(onnx.helper.make_tensor_value_info(CUT, onnx.TensorProto.FLOAT, None))
    return m


def partial_model(path):
    """The nodes needed for out_sample when the cut tensor is an input (like onnx.utils.Extractor,
    but a linear-time backward walk without shape inference)."""
    m = onnx.load(path)
    g = m.graph
    producer = {o: n for n in g.node for o in n.output}
    inputs = set(INPUTS + [CUT])
    keep, stack, seen = set(), ["out_sample"], set()
    while stack:
        name = stack.pop()
        if name in seen or name in inputs or name not in producer:
            continue
        seen.add(name)
        node = producer[name]
        keep.add(id(node))
        stack.extend(i for i in node.input if i)
    nodes = [n for n in g.node if id(n) in keep]  # original (topological) order
    used = {i for n in nodes for i in n.input}
    inits = [t for t in g.initializer if t.name in used]
    graph_inputs = [i for i in g.input if i.name in INPUTS]
    graph_inputs.append(onnx.helper.make_tensor_value_info(CUT, onnx.TensorProto.FLOAT,
                                                           ["batch", None, "height", "width"]))
    out = onnx.helper.make_graph(nodes, "unet_deepcache_partial", graph_inputs,
                                 [o for o in g.output if o.name == "out_sample"], inits)
    pm = onnx.helper.make_model(out, opset_imports=m.opset_import, ir_version=m.ir_version)
    onnx.checker.check_model(pm)
    return pm


def partial_node_count(path):
    return len(partial_model(path).graph.node)


def sessions(path, providers, threads=None):
    """(full session with outputs [out_sample, cut], partial session) for a UNet model.onnx."""
    return _session(full_model(path), providers, threads), _session(partial_model(path), providers, threads)


def is_full_call(timesteps, t, i0, interval):
    i = list(timesteps).index(t)
    return (i - i0) % interval == 0
