package dev.sdserve.vae;

import com.google.protobuf.ByteString;
import dev.sdserve.proto.v1.DecodeRequest;
import dev.sdserve.proto.v1.DecodeResponse;
import dev.sdserve.proto.v1.EncodeImageRequest;
import dev.sdserve.proto.v1.EncodeImageResponse;
import dev.sdserve.proto.v1.Image;
import dev.sdserve.proto.v1.VaeGrpc;
import dev.sdserve.runtime.FloatTensor;
import dev.sdserve.runtime.GrpcErrors;
import dev.sdserve.runtime.ModelCache;
import dev.sdserve.runtime.Png;
import dev.sdserve.runtime.SdException;
import dev.sdserve.runtime.TensorCodec;
import io.grpc.stub.StreamObserver;
import io.quarkus.grpc.GrpcService;
import io.smallrye.common.annotation.Blocking;
import jakarta.inject.Inject;

/** Thin gRPC adapter for {@link VaeStage}: maps protobuf to domain calls and errors through {@link GrpcErrors}. */
@GrpcService
@Blocking
public class VaeGrpcService extends VaeGrpc.VaeImplBase {

    @Inject
    VaeModels models;
    @Inject
    VaeTracing tracing;

    @Override
    public void decode(DecodeRequest request, StreamObserver<DecodeResponse> response) {
        try {
            FloatTensor latents = TensorCodec.fromProto(request.getLatents(), "latents");
            DecodedImages decoded;
            try (ModelCache<VaeStage>.Lease vae = models.acquire(request.getModel())) {
                decoded = tracing.decode(vae.get(), latents, request.getDecodingBatchSize());
            }
            DecodeResponse.Builder out = DecodeResponse.newBuilder();
            for (Png.Rgb rgb : decoded.rgb()) out.addImages(image(rgb, request.getPng()));
            if (request.getReturnFloat()) out.setImage(TensorCodec.toProto(decoded.image()));
            response.onNext(out.build());
            response.onCompleted();
        } catch (Throwable t) {
            response.onError(GrpcErrors.toStatus(t));
        }
    }

    private static Image image(Png.Rgb rgb, boolean png) {
        Image.Builder b = Image.newBuilder().setWidth(rgb.width()).setHeight(rgb.height())
                .setRgb(ByteString.copyFrom(rgb.rgb()));
        if (png) b.setPng(ByteString.copyFrom(Png.encode(rgb)));
        return b.build();
    }

    @Override
    public void encode(EncodeImageRequest request, StreamObserver<EncodeImageResponse> response) {
        try {
            boolean files = request.getEncodedImagesCount() > 0;
            SdException.require(files != request.hasPixels(),
                    "encoded_images, pixels: send exactly one of them (got " + (files ? "both" : "neither") + ")");
            try (ModelCache<VaeStage>.Lease vae = models.acquire(request.getModel())) {
                FloatTensor mean = files
                        ? tracing.encodeFiles(vae.get(), request.getEncodedImagesList().stream().map(ByteString::toByteArray).toList())
                        : tracing.encode(vae.get(), TensorCodec.fromProto(request.getPixels(), "pixels"));
                response.onNext(EncodeImageResponse.newBuilder().setLatentMean(TensorCodec.toProto(mean))
                        .setScalingFactor(vae.get().scalingFactor()).build());
            }
            response.onCompleted();
        } catch (Throwable t) {
            response.onError(GrpcErrors.toStatus(t));
        }
    }
}
