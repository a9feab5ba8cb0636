package dev.sdserve.cli.bench;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import com.fasterxml.jackson.databind.JsonNode;
import dev.sdserve.runtime.ModelFolder;
import dev.sdserve.runtime.SdException;
import dev.sdserve.unet.graph.DerivedGraphs;
import dev.sdserve.unet.graph.GraphIndex;
import dev.sdserve.unet.graph.MacCounter;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;

/**
 * The full and shallow UNet's multiply-accumulates at the benchmark's latent size, per call at batch 1. The
 * unet-service records them at the model's native size; the benchmark needs them at its own size to turn a
 * full call's time into GFLOP/s, so it counts again with the service's {@link MacCounter} on the same derived
 * graphs the stage loads (building them here first, so that the stage then reuses them).
 */
final class UnetMacs {
    private UnetMacs() {
    }

    /** MACs at {@code latentSide} of the full and the shallow graph of {@code branch}. Square latents only. */
    static MacCounter.Macs count(ModelFolder model, int branch, Path graphCacheDir, int latentSide) {
        Path source = model.onnx(ModelFolder.Part.UNET);
        JsonNode config = model.config(ModelFolder.Part.UNET);
        MacCounter.ProbeShape probe = new MacCounter.ProbeShape(config.path("in_channels").asInt(4), 77,
                config.path("cross_attention_dim").asInt(768));
        DerivedGraphs.Entry entry = DerivedGraphs.forSource(Optional.of(graphCacheDir), source.getParent())
                .obtain(source, branch, Optional.empty(), probe, config.path("sample_size").asInt(64));
        Set<String> shallowNodes = new HashSet<>();
        for (NodeProto n : parse(entry.shallow()).getGraph().getNodeList()) shallowNodes.add(GraphIndex.keyOf(n));
        return MacCounter.count(parse(entry.full()), entry.fullWeightsFolder(), shallowNodes, probe, latentSide);
    }

    /**
     * MACs of one VAE decode at {@code latentSide} (batch 1), counted by the same probe on the model's own
     * vae_decoder graph (its mid-block self-attention makes the count quadratic in the pixels, which the probe's
     * three sizes fit exactly).
     */
    static long vaeDecoder(ModelFolder model, int latentSide) {
        Path graph = model.onnx(ModelFolder.Part.VAE_DECODER);
        JsonNode config = model.config(ModelFolder.Part.VAE_DECODER);
        MacCounter.ProbeShape probe = new MacCounter.ProbeShape(config.path("latent_channels").asInt(4), 77, 768);
        return MacCounter.count(parse(graph), graph.getParent(), Set.of(), probe, latentSide).full();
    }

    private static ModelProto parse(Path graph) {
        try (InputStream in = Files.newInputStream(graph)) {
            return ModelProto.parseFrom(in);
        } catch (IOException e) {
            throw new SdException(SdException.Kind.FAILED_PRECONDITION, "cannot read " + graph + ": " + e.getMessage(), e);
        }
    }
}
