package dev.sdserve.vae;

import dev.sdserve.runtime.FloatTensor;
import dev.sdserve.runtime.Tracing;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Tracer;
import java.util.List;

/**
 * The VAE's spans: {@code vae_decode} (txt2img and img2img) and {@code vae_encode} (img2img's init image),
 * with the model, the EP and the batch. Children of the current context (the gRPC call's span in the service).
 */
public final class VaeTracing {
    private static final AttributeKey<Long> CHUNK = AttributeKey.longKey("sd.decoding_batch_size");
    private final Tracer tracer;

    public VaeTracing(Tracer tracer) {
        this.tracer = tracer;
    }

    /** {@link VaeStage#decode} in a {@code vae_decode} span. */
    public DecodedImages decode(VaeStage vae, FloatTensor latents, int decodingBatchSize) {
        Attributes a = attributes(vae, latents.rank() > 0 ? latents.dim(0) : 0).toBuilder()
                .put(CHUNK, decodingBatchSize).build();
        return Tracing.inSpan(tracer, Tracing.VAE_DECODE, a, span -> vae.decode(latents, decodingBatchSize));
    }

    /** {@link VaeStage#encode} (pixels) in a {@code vae_encode} span. */
    public FloatTensor encode(VaeStage vae, FloatTensor pixels) {
        return Tracing.inSpan(tracer, Tracing.VAE_ENCODE, attributes(vae, pixels.rank() > 0 ? pixels.dim(0) : 0),
                span -> vae.encode(pixels));
    }

    /** {@link VaeStage#encodeFiles} (PNG/JPEG files) in a {@code vae_encode} span. */
    public FloatTensor encodeFiles(VaeStage vae, List<byte[]> files) {
        return Tracing.inSpan(tracer, Tracing.VAE_ENCODE, attributes(vae, files.size()), span -> vae.encodeFiles(files));
    }

    private static Attributes attributes(VaeStage vae, long batch) {
        return Attributes.of(Tracing.MODEL, vae.model().name(), Tracing.EP, vae.executionProvider(), Tracing.BATCH, batch);
    }
}
