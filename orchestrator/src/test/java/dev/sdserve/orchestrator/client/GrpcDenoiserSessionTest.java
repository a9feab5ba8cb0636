package dev.sdserve.orchestrator.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sdserve.orchestrator.deepcache.StepMode;
import dev.sdserve.orchestrator.pipeline.DenoiserSession;
import dev.sdserve.orchestrator.pipeline.UnetConditioning;
import dev.sdserve.proto.v1.DenoiseRequest;
import dev.sdserve.proto.v1.DenoiseResponse;
import dev.sdserve.proto.v1.DenoiserGrpc;
import dev.sdserve.proto.v1.OpenResponse;
import dev.sdserve.proto.v1.StepResponse;
import dev.sdserve.proto.v1.TextEncoderGrpc;
import dev.sdserve.runtime.FloatTensor;
import dev.sdserve.runtime.SdException;
import dev.sdserve.runtime.TensorCodec;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Server;
import io.grpc.ServerBuilder;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The Denoise stream client against a small in-test unet-service double on a real port: replies come back in
 * order, close half-closes, abort cancels the stream within 1 s even while a step waits, and failures name
 * the stage.
 */
class GrpcDenoiserSessionTest {
    /** Steps at this timestep never get a reply. */
    private static final double HANG = 999;

    private final CountDownLatch halfClosed = new CountDownLatch(1);
    private final CountDownLatch cancelled = new CountDownLatch(1);
    private Server server;
    private ManagedChannel channel;

    @BeforeEach
    void start() throws Exception {
        server = ServerBuilder.forPort(0).addService(new FakeDenoiser()).build().start();
        channel = ManagedChannelBuilder.forAddress("localhost", server.getPort()).usePlaintext().build();
    }

    @AfterEach
    void stop() {
        channel.shutdownNow();
        server.shutdownNow();
    }

    private GrpcDenoiserClient client(Duration stepDeadline) {
        return new GrpcDenoiserClient(DenoiserGrpc.newStub(channel),
                new StageEndpoint("unet-service", "localhost:" + server.getPort(), stepDeadline), Duration.ofMinutes(5));
    }

    @Test
    void stepsRoundTripInOrderAndCloseEndsTheStream() throws Exception {
        FloatTensor emb = FloatTensor.zeros(2, 77, 32);
        try (DenoiserSession s = client(Duration.ofSeconds(10)).open("tiny-sd15", UnetConditioning.of(emb), 0)) {
            for (int i = 0; i < 3; i++) {
                FloatTensor x = FloatTensor.of(new long[] {2, 4, 8, 8}, filled(2 * 4 * 8 * 8, i + 0.5f));
                DenoiserSession.StepResult r = s.step(x, 900 - i, i == 0 ? StepMode.FULL : StepMode.SHALLOW);
                assertEquals(0f, r.noisePred().maxAbsDiff(x.scale(2f)), "the double answers 2 * sample");
                assertEquals(i == 0 ? StepMode.FULL : StepMode.SHALLOW, r.modeRun());
                assertEquals(1.5, r.serverMs());
            }
        }
        assertTrue(halfClosed.await(1, TimeUnit.SECONDS), "the service saw the stream end");
    }

    @Test
    void abortCancelsAWaitingStepWithinOneSecond() throws Exception {
        DenoiserSession s = client(Duration.ofSeconds(30)).open("tiny-sd15", UnetConditioning.of(FloatTensor.zeros(1, 77, 32)), 0);
        CompletableFuture<Throwable> step = CompletableFuture.supplyAsync(() -> {
            try {
                s.step(FloatTensor.zeros(1, 4, 8, 8), HANG, StepMode.FULL);
                return null;
            } catch (RuntimeException e) {
                return e;
            }
        });
        Thread.sleep(200);
        long start = System.nanoTime();
        s.abort();
        Throwable t = step.get(1, TimeUnit.SECONDS);
        assertTrue(t instanceof SdException sd && sd.kind() == SdException.Kind.CANCELLED, String.valueOf(t));
        assertTrue(cancelled.await(1, TimeUnit.SECONDS), "the service saw the cancel");
        assertTrue((System.nanoTime() - start) / 1e9 < 1.0);
        s.close(); // idempotent after abort
    }

    @Test
    void aStepPastItsDeadlineFailsNamingTheStage() throws Exception {
        try (DenoiserSession s = client(Duration.ofMillis(300)).open("tiny-sd15", UnetConditioning.of(FloatTensor.zeros(1, 77, 32)), 0)) {
            SdException e = assertThrows(SdException.class, () -> s.step(FloatTensor.zeros(1, 4, 8, 8), HANG, StepMode.FULL));
            assertEquals(SdException.Kind.DEADLINE_EXCEEDED, e.kind());
            assertTrue(e.getMessage().startsWith("unet-service at localhost:"), e.getMessage());
        }
        assertTrue(cancelled.await(1, TimeUnit.SECONDS), "the stream was cancelled, freeing the session");
    }

    @Test
    void serviceErrorsKeepTheirStatusAndNameTheStage() {
        try (DenoiserSession s = client(Duration.ofSeconds(10)).open("tiny-sd15", UnetConditioning.of(FloatTensor.zeros(1, 77, 32)), 0)) {
            SdException e = assertThrows(SdException.class, () -> s.step(FloatTensor.zeros(1, 4, 8, 8), -1, StepMode.FULL));
            assertEquals(SdException.Kind.INVALID_ARGUMENT, e.kind());
            assertEquals("unet-service: timestep: -1 is negative", e.getMessage());
        }
    }

    @Test
    void aStageThatIsDownIsUnavailableNamingTheStage() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        ManagedChannel down = ManagedChannelBuilder.forAddress("localhost", port).usePlaintext().build();
        try {
            StageEndpoint unet = new StageEndpoint("unet-service", "localhost:" + port, Duration.ofSeconds(5));
            SdException e = assertThrows(SdException.class, () -> new GrpcDenoiserClient(DenoiserGrpc.newStub(down), unet,
                    Duration.ofMinutes(1)).open("m", UnetConditioning.of(FloatTensor.zeros(1, 77, 32)), 0));
            assertEquals(SdException.Kind.UNAVAILABLE, e.kind());
            assertTrue(e.getMessage().startsWith("unet-service unavailable at localhost:" + port + ": "), e.getMessage());

            StageEndpoint te = new StageEndpoint("text-encoder-service", "localhost:" + port, Duration.ofSeconds(5));
            SdException e2 = assertThrows(SdException.class, () -> new GrpcTextEncoderClient(
                    TextEncoderGrpc.newBlockingStub(down), te).encode("m", List.of("a"), List.of()));
            assertEquals(SdException.Kind.UNAVAILABLE, e2.kind());
            assertTrue(e2.getMessage().startsWith("text-encoder-service unavailable at localhost:" + port), e2.getMessage());
        } finally {
            down.shutdownNow();
        }
    }

    private static float[] filled(int n, float v) {
        float[] a = new float[n];
        java.util.Arrays.fill(a, v);
        return a;
    }

    /** A unet-service double: answers open, answers each step with 2 * sample, hangs at t = 999, rejects t < 0. */
    private final class FakeDenoiser extends DenoiserGrpc.DenoiserImplBase {
        @Override
        public StreamObserver<DenoiseRequest> denoise(StreamObserver<DenoiseResponse> out) {
            ((ServerCallStreamObserver<DenoiseResponse>) out).setOnCancelHandler(cancelled::countDown);
            return new StreamObserver<>() {
                @Override
                public void onNext(DenoiseRequest r) {
                    if (r.hasOpen()) {
                        out.onNext(DenoiseResponse.newBuilder().setOpened(OpenResponse.newBuilder().setSessionId("s1")).build());
                        return;
                    }
                    double t = r.getStep().getTimestep();
                    if (t == HANG) return;
                    if (t < 0) {
                        out.onError(Status.INVALID_ARGUMENT.withDescription("timestep: -1 is negative").asRuntimeException());
                        return;
                    }
                    FloatTensor x = TensorCodec.fromProto(r.getStep().getSample(), "sample");
                    out.onNext(DenoiseResponse.newBuilder().setStep(StepResponse.newBuilder()
                            .setNoisePred(TensorCodec.toProto(x.scale(2f))).setModeRun(r.getStep().getMode())
                            .setServerMs(1.5)).build());
                }

                @Override
                public void onError(Throwable t) {
                    cancelled.countDown();
                }

                @Override
                public void onCompleted() {
                    halfClosed.countDown();
                    out.onCompleted();
                }
            };
        }
    }
}
