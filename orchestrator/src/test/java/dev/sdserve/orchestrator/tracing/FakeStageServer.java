package dev.sdserve.orchestrator.tracing;

import com.google.protobuf.ByteString;
import dev.sdserve.proto.v1.DecodeRequest;
import dev.sdserve.proto.v1.DecodeResponse;
import dev.sdserve.proto.v1.DenoiseRequest;
import dev.sdserve.proto.v1.DenoiseResponse;
import dev.sdserve.proto.v1.DenoiserGrpc;
import dev.sdserve.proto.v1.EncodeRequest;
import dev.sdserve.proto.v1.EncodeResponse;
import dev.sdserve.proto.v1.Image;
import dev.sdserve.proto.v1.OpenResponse;
import dev.sdserve.proto.v1.StepMode;
import dev.sdserve.proto.v1.StepResponse;
import dev.sdserve.proto.v1.TextEncoderGrpc;
import dev.sdserve.proto.v1.VaeGrpc;
import dev.sdserve.runtime.FloatTensor;
import dev.sdserve.runtime.TensorCodec;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerBuilder;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.stub.StreamObserver;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The three stage services faked on one real port, for the orchestrator's tracing test: zeros for embeddings
 * and noise predictions (each step answers in the mode it was asked), black images. It records the W3C
 * {@code traceparent} each call arrived with, by full method name, so the test can check what crossed the wire.
 */
public final class FakeStageServer implements QuarkusTestResourceLifecycleManager {
    /** Full method name → the traceparent header of its last call. */
    static final Map<String, String> TRACEPARENTS = new ConcurrentHashMap<>();
    private static final Metadata.Key<String> TRACEPARENT = Metadata.Key.of("traceparent", Metadata.ASCII_STRING_MARSHALLER);

    private Server server;

    @Override
    public Map<String, String> start() {
        ServerInterceptor recorder = new ServerInterceptor() {
            @Override
            public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
                                                              ServerCallHandler<Q, R> next) {
                String tp = headers.get(TRACEPARENT);
                if (tp != null) TRACEPARENTS.put(call.getMethodDescriptor().getFullMethodName(), tp);
                return next.startCall(call, headers);
            }
        };
        HealthStatusManager health = new HealthStatusManager();
        try {
            server = ServerBuilder.forPort(0)
                    .addService(ServerInterceptors.intercept(new TextEncoder(), recorder))
                    .addService(ServerInterceptors.intercept(new Denoiser(), recorder))
                    .addService(ServerInterceptors.intercept(new Vae(), recorder))
                    .addService(health.getHealthService()).build().start();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        String port = String.valueOf(server.getPort());
        return Map.of("quarkus.grpc.clients.text-encoder.test-port", port, "quarkus.grpc.clients.unet.test-port", port,
                "quarkus.grpc.clients.vae.test-port", port);
    }

    @Override
    public void stop() {
        if (server != null) server.shutdownNow();
    }

    private static final class TextEncoder extends TextEncoderGrpc.TextEncoderImplBase {
        @Override
        public void encode(EncodeRequest r, StreamObserver<EncodeResponse> out) {
            FloatTensor h = FloatTensor.zeros(r.getPromptsCount(), 77, 32);
            out.onNext(EncodeResponse.newBuilder().setLastHiddenState(TensorCodec.toProto(h)).build());
            out.onCompleted();
        }
    }

    private static final class Denoiser extends DenoiserGrpc.DenoiserImplBase {
        @Override
        public StreamObserver<DenoiseRequest> denoise(StreamObserver<DenoiseResponse> out) {
            return new StreamObserver<>() {
                @Override
                public void onNext(DenoiseRequest r) {
                    if (r.hasOpen()) {
                        out.onNext(DenoiseResponse.newBuilder().setOpened(OpenResponse.newBuilder().setSessionId("s")).build());
                        return;
                    }
                    FloatTensor sample = TensorCodec.fromProto(r.getStep().getSample(), "sample");
                    StepMode mode = r.getStep().getMode();
                    out.onNext(DenoiseResponse.newBuilder().setStep(StepResponse.newBuilder()
                            .setNoisePred(TensorCodec.toProto(FloatTensor.zeros(sample.shape()))).setModeRun(mode)
                            .setCacheHit(mode == StepMode.SHALLOW).setServerMs(0.5)).build());
                }

                @Override
                public void onError(Throwable t) {
                }

                @Override
                public void onCompleted() {
                    out.onCompleted();
                }
            };
        }
    }

    private static final class Vae extends VaeGrpc.VaeImplBase {
        @Override
        public void decode(DecodeRequest r, StreamObserver<DecodeResponse> out) {
            List<Long> s = r.getLatents().getShapeList();
            int h = (int) (8 * s.get(2)), w = (int) (8 * s.get(3));
            DecodeResponse.Builder b = DecodeResponse.newBuilder();
            for (long i = 0; i < s.get(0); i++) {
                b.addImages(Image.newBuilder().setWidth(w).setHeight(h).setRgb(ByteString.copyFrom(new byte[3 * w * h])));
            }
            out.onNext(b.build());
            out.onCompleted();
        }
    }
}
