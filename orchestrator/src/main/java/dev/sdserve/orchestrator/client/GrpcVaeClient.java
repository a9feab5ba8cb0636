package dev.sdserve.orchestrator.client;

import dev.sdserve.orchestrator.pipeline.InitImage;
import dev.sdserve.orchestrator.pipeline.VaeClient;
import dev.sdserve.proto.v1.DecodeRequest;
import dev.sdserve.proto.v1.DecodeResponse;
import dev.sdserve.proto.v1.EncodeImageRequest;
import dev.sdserve.proto.v1.EncodeImageResponse;
import dev.sdserve.proto.v1.Image;
import dev.sdserve.proto.v1.VaeGrpc;
import dev.sdserve.runtime.FloatTensor;
import dev.sdserve.runtime.Png;
import dev.sdserve.runtime.TensorCodec;
import com.google.protobuf.ByteString;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** {@link VaeClient} over vae-service's unary Decode and Encode. One call per decode chunk. */
public final class GrpcVaeClient implements VaeClient {
    private final VaeGrpc.VaeBlockingStub stub;
    private final StageEndpoint endpoint;

    public GrpcVaeClient(VaeGrpc.VaeBlockingStub stub, StageEndpoint endpoint) {
        this.stub = stub;
        this.endpoint = endpoint;
    }

    @Override
    public List<Png.Rgb> decode(String model, FloatTensor latents) {
        DecodeRequest req = DecodeRequest.newBuilder().setModel(model).setLatents(TensorCodec.toProto(latents))
                .setDecodingBatchSize((int) latents.dim(0)).build();
        DecodeResponse r;
        try {
            r = deadlined().decode(req);
        } catch (RuntimeException e) {
            throw endpoint.failure(e);
        }
        List<Png.Rgb> out = new ArrayList<>();
        for (Image img : r.getImagesList()) out.add(new Png.Rgb(img.getWidth(), img.getHeight(), img.getRgb().toByteArray()));
        return out;
    }

    @Override
    public FloatTensor encode(String model, InitImage image) {
        EncodeImageRequest.Builder req = EncodeImageRequest.newBuilder().setModel(model);
        if (image.encoded() != null) req.addEncodedImages(ByteString.copyFrom(image.encoded()));
        else req.setPixels(TensorCodec.toProto(image.pixels()));
        EncodeImageResponse r;
        try {
            r = deadlined().encode(req.build());
        } catch (RuntimeException e) {
            throw endpoint.failure(e);
        }
        return TensorCodec.fromProto(r.getLatentMean(), endpoint.stage() + " latent_mean");
    }

    private VaeGrpc.VaeBlockingStub deadlined() {
        return stub.withDeadlineAfter(endpoint.deadline().toMillis(), TimeUnit.MILLISECONDS);
    }
}
