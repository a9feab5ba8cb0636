"""DeepCache (cache_branch_id 0) on the exported UNet graph, the way the Java pipeline does it.

* full step: the unchanged graph plus one extra output, the cut tensor
  /up_blocks.3/attentions.1/Add_output_0 (the output of up_blocks.3.attentions.1);
* shallow step: the sub-graph from (sample, timestep, encoder_hidden_states, cut tensor) to out_sample,
  extracted with onnx.utils.Extractor: time embedding, conv_in, the skip Concat
  /up_blocks.3/Concat_2, up_blocks.3.resnets.2, up_blocks.3.attentions.2 and the output head.
Schedule (DeepCacheSDHelper, skip_mode "uniform"): at each call i = the first index of t in the
scheduler's timesteps; a call is full when (i - i0) % interval == 0, i0 being the first call's i.
"""
import onnx
import onnx.utils
import onnxruntime as ort

CUT = "/up_blocks.3/attentions.1/Add_output_0"
INPUTS = ["sample", "timestep", "encoder_hidden_states"]


def _session(model, providers, threads=None):
    opt = ort.SessionOptions()
    if threads:
        opt.intra_op_num_threads = threads
    return ort.InferenceSession(model.SerializeToString(), opt, providers=providers)


def full_model(path):
    m = onnx.load(path)
    m.graph.output.append(onnx.helper.make_tensor_value_info(CUT, onnx.TensorProto.FLOAT, None))
    return m


def partial_model(path):
    return onnx.utils.Extractor(onnx.load(path)).extract_model(INPUTS + [CUT], ["out_sample"])


def partial_node_count(path):
    return len(partial_model(path).graph.node)


def sessions(path, providers, threads=None):
    """(full session with outputs [out_sample, cut], partial session) for a UNet model.onnx."""
    return _session(full_model(path), providers, threads), _session(partial_model(path), providers, threads)


def is_full_call(timesteps, t, i0, interval):
    i = list(timesteps).index(t)
    return (i - i0) % interval == 0
