package dev.sdserve.cli;

import com.google.protobuf.ByteString;
import dev.sdserve.proto.v1.GenerateEvent;
import dev.sdserve.proto.v1.GenerateRequest;
import dev.sdserve.proto.v1.GenerateResult;
import dev.sdserve.proto.v1.GeneratedImage;
import dev.sdserve.proto.v1.ImageGenerationGrpc;
import dev.sdserve.proto.v1.StageTiming;
import dev.sdserve.proto.v1.StepMode;
import dev.sdserve.proto.v1.StepProgress;
import dev.sdserve.proto.v1.TextEncoderGrpc;
import dev.sdserve.proto.v1.Timings;
import dev.sdserve.proto.v1.TokenizeRequest;
import dev.sdserve.proto.v1.TokenizeResponse;
import dev.sdserve.proto.v1.TokenizedPrompt;
import dev.sdserve.runtime.FloatTensor;
import dev.sdserve.runtime.Png;
import dev.sdserve.runtime.TensorCodec;
import io.grpc.Grpc;
import io.grpc.InsecureServerCredentials;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A scripted orchestrator + text encoder + health service on a free port, so the CLI's gRPC side is tested
 * without the real services: it answers Generate with known tiles and latents, fails, or hangs until cancelled.
 */
final class FakeServices implements AutoCloseable {
    enum Mode { RESPOND, FAIL, HANG }

    static final String PARAMETERS = "fake parameters\nNegative prompt: \nSteps: 3";

    final AtomicReference<GenerateRequest> lastRequest = new AtomicReference<>();
    final CountDownLatch generateStarted = new CountDownLatch(1);
    final CountDownLatch cancelled = new CountDownLatch(1);
    final HealthStatusManager health = new HealthStatusManager();
    volatile Mode mode = Mode.RESPOND;
    private final Server server;

    FakeServices() throws IOException {
        server = Grpc.newServerBuilderForPort(0, InsecureServerCredentials.create())
                .addService(new Orchestrator()).addService(new TextEncoder()).addService(health.getHealthService())
                .build().start();
    }

    int port() {
        return server.getPort();
    }

    String target() {
        return "localhost:" + port();
    }

    @Override
    public void close() throws InterruptedException {
        server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }

    /** Latents the fake returns for image {@code i}: [1,4,h/8,w/8], value = i*1000 + flat index. */
    static FloatTensor latents(int i, int height, int width) {
        float[] v = new float[4 * (height / 8) * (width / 8)];
        for (int k = 0; k < v.length; k++) v[k] = i * 1000 + k;
        return FloatTensor.of(new long[] {1, 4, height / 8, width / 8}, v);
    }

    /** Image {@code i}: a solid tile of grey 40*(i+1). */
    static Png.Rgb tile(int i, int height, int width) {
        return ImageGridTest.solid(width, height, 40 * (i + 1), 40 * (i + 1), 40 * (i + 1));
    }

    private final class Orchestrator extends ImageGenerationGrpc.ImageGenerationImplBase {
        @Override
        public void generate(GenerateRequest request, StreamObserver<GenerateEvent> out) {
            lastRequest.set(request);
            ((ServerCallStreamObserver<GenerateEvent>) out).setOnCancelHandler(cancelled::countDown);
            generateStarted.countDown();
            switch (mode) {
                case FAIL -> out.onError(Status.INVALID_ARGUMENT.withDescription("steps: must be in 1..1000").asRuntimeException());
                case HANG -> out.onNext(progress(0, 1000));
                default -> respond(request, out);
            }
        }

        private void respond(GenerateRequest request, StreamObserver<GenerateEvent> out) {
            for (int i = 0; i < 3; i++) out.onNext(progress(i, 3));
            int h = request.getHeight() == 0 ? 64 : request.getHeight();
            int w = request.getWidth() == 0 ? 64 : request.getWidth();
            GenerateResult.Builder result = GenerateResult.newBuilder().setParameters(PARAMETERS);
            for (int i = 0; i < Math.max(1, request.getNImages()); i++) {
                GeneratedImage.Builder img = GeneratedImage.newBuilder().setWidth(w).setHeight(h).setSeed(request.getSeed() + i)
                        .setPng(ByteString.copyFrom(Png.encode(tile(i, h, w))));
                if (request.getReturnLatents()) img.setLatents(TensorCodec.toProto(latents(i, h, w)));
                result.addImages(img);
            }
            out.onNext(GenerateEvent.newBuilder().setResult(result).build());
            out.onNext(GenerateEvent.newBuilder().setTimings(Timings.newBuilder().addStages(
                    StageTiming.newBuilder().setStage("unet_full").setCount(3).setTotalMs(30).setMeanMs(10))).build());
            out.onCompleted();
        }

        private GenerateEvent progress(int index, int total) {
            return GenerateEvent.newBuilder().setProgress(StepProgress.newBuilder().setIndex(index).setTotal(total)
                    .setMode(StepMode.FULL).setMs(5).setTimestep(900)).build();
        }
    }

    private static final class TextEncoder extends TextEncoderGrpc.TextEncoderImplBase {
        @Override
        public void tokenize(TokenizeRequest request, StreamObserver<TokenizeResponse> out) {
            TokenizedPrompt.Builder p = TokenizedPrompt.newBuilder().addIds(49406).addIds(320).addIds(49407)
                    .addTokens("<|startoftext|>").addTokens(request.getPrompts(0) + "</w>").addTokens("<|endoftext|>");
            for (int i = 3; i < 77; i++) p.addIds(49407);
            out.onNext(TokenizeResponse.newBuilder().addPrompts(p).build());
            out.onCompleted();
        }
    }
}
