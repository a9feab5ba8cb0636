package dev.sdserve.unet;

import static dev.sdserve.runtime.SharedFixtures.tensor;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sdserve.proto.v1.CloseRequest;
import dev.sdserve.proto.v1.DenoiseRequest;
import dev.sdserve.proto.v1.DenoiseResponse;
import dev.sdserve.proto.v1.DenoiserGrpc;
import dev.sdserve.proto.v1.DescribeRequest;
import dev.sdserve.proto.v1.GetStatusRequest;
import dev.sdserve.proto.v1.LoadedUnet;
import dev.sdserve.proto.v1.OpenRequest;
import dev.sdserve.proto.v1.OpenResponse;
import dev.sdserve.proto.v1.StepMode;
import dev.sdserve.proto.v1.StepRequest;
import dev.sdserve.proto.v1.StepResponse;
import dev.sdserve.runtime.FloatTensor;
import dev.sdserve.runtime.GrpcProbe;
import dev.sdserve.runtime.TensorCodec;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import io.quarkus.test.junit.QuarkusTest;
import java.nio.file.Path;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The Denoiser service over real gRPC, with numbers checked against the tiny-sd15 fixtures. */
@QuarkusTest
class DenoiserGrpcServiceTest {
    static final Path CASE = TinyUnet.unetCase("unet_0");

    /** This test's gRPC server port: test-port=0, a free port chosen at start. */
    int port = GrpcProbe.serverPort();

    ManagedChannel channel;
    DenoiserGrpc.DenoiserBlockingStub unary;

    @BeforeEach
    void connect() {
        channel = GrpcProbe.channel(port);
        unary = DenoiserGrpc.newBlockingStub(channel).withDeadlineAfter(120, TimeUnit.SECONDS);
    }

    @AfterEach
    void disconnect() throws InterruptedException {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }

    static OpenRequest openRequest() {
        return OpenRequest.newBuilder().setEncoderHiddenStates(
                TensorCodec.toProto(tensor(CASE.resolve("encoder_hidden_states.f32")))).build();
    }

    static StepRequest step(String session, StepMode mode) {
        return StepRequest.newBuilder().setSessionId(session).setTimestep(981).setMode(mode)
                .setSample(TensorCodec.toProto(tensor(CASE.resolve("sample.f32")))).build();
    }

    static void assertMatchesFixture(StepResponse r) {
        FloatTensor eps = TensorCodec.fromProto(r.getNoisePred(), "noise_pred");
        assertTrue(eps.maxAbsDiff(tensor(CASE.resolve("out_sample.f32"))) < 2e-5);
    }

    @Test
    void bidiStreamOpensThenRunsFullAndShallow() throws Exception {
        LinkedBlockingQueue<Object> replies = new LinkedBlockingQueue<>();
        StreamObserver<DenoiseRequest> requests = DenoiserGrpc.newStub(channel).denoise(new StreamObserver<>() {
            public void onNext(DenoiseResponse r) { replies.add(r); }
            public void onError(Throwable t) { replies.add(t); }
            public void onCompleted() { replies.add("completed"); }
        });
        requests.onNext(DenoiseRequest.newBuilder().setOpen(openRequest()).build());
        DenoiseResponse opened = (DenoiseResponse) replies.poll(120, TimeUnit.SECONDS);
        assertEquals("tiny-sd15", opened.getOpened().getModel());
        assertEquals("/up_blocks.3/attentions.1/Add_output_0", opened.getOpened().getUnet().getCacheTensor());
        assertEquals(22, opened.getOpened().getSessionId().length());
        requests.onNext(DenoiseRequest.newBuilder().setStep(step("", StepMode.FULL)).build());
        StepResponse full = ((DenoiseResponse) replies.poll(60, TimeUnit.SECONDS)).getStep();
        assertEquals(StepMode.FULL, full.getModeRun());
        assertMatchesFixture(full);
        requests.onNext(DenoiseRequest.newBuilder().setStep(step("", StepMode.SHALLOW)).build());
        StepResponse shallow = ((DenoiseResponse) replies.poll(60, TimeUnit.SECONDS)).getStep();
        assertEquals(StepMode.SHALLOW, shallow.getModeRun());
        assertTrue(shallow.getCacheHit());
        assertMatchesFixture(shallow); // same inputs: the shallow graph reproduces the full output
        requests.onCompleted();
        assertEquals("completed", replies.poll(30, TimeUnit.SECONDS));
        // the stream's session is gone once the stream ends
        assertCode(Status.Code.NOT_FOUND, () -> unary.step(step(opened.getOpened().getSessionId(), StepMode.FULL)));
    }

    @Test
    void unaryOpenStepCloseAndDescribe() {
        OpenResponse opened = unary.open(openRequest());
        String id = opened.getSessionId();
        StepResponse shallow = unary.step(step(id, StepMode.SHALLOW));
        assertEquals(StepMode.FULL, shallow.getModeRun()); // nothing cached yet
        assertFalse(shallow.getCacheHit());
        assertMatchesFixture(shallow);
        StepResponse hit = unary.step(step(id, StepMode.SHALLOW));
        assertTrue(hit.getCacheHit());
        assertMatchesFixture(hit);
        assertTrue(unary.close(CloseRequest.newBuilder().setSessionId(id).build()).getClosed());
        assertFalse(unary.close(CloseRequest.newBuilder().setSessionId(id).build()).getClosed());
        var d = unary.describe(DescribeRequest.newBuilder().setCacheBranch(0).build());
        assertEquals(323, d.getShallowNodes());
        assertTrue(d.getFullMacs() > 3 * d.getShallowMacs() && d.getShallowMacs() > 0);
        assertEquals("cpu", d.getExecutionProvider());
    }

    @Test
    void getStatusReportsLoadedUnetsAndFeatureStoreCountersWithoutLoading() {
        var before = unary.getStatus(GetStatusRequest.getDefaultInstance()).getFeatureStore();
        assertEquals(2147483648L, before.getMaxBytes(), "sd.unet.feature-store.max-bytes");
        String id = unary.open(openRequest()).getSessionId(); // loads tiny-sd15 at branch 0
        unary.step(step(id, StepMode.FULL));
        unary.step(step(id, StepMode.SHALLOW));
        var during = unary.getStatus(GetStatusRequest.getDefaultInstance());
        assertTrue(during.getLoadedList().contains(LoadedUnet.newBuilder().setModel("tiny-sd15").setCacheBranch(0).build()),
                during.toString());
        assertFalse(during.getLoadedList().stream().anyMatch(u -> u.getCacheBranch() == 7),
                "GetStatus loads nothing: " + during);
        var fs = during.getFeatureStore();
        assertEquals(before.getHits() + 1, fs.getHits(), "one shallow step on the cached feature");
        assertEquals(before.getMisses(), fs.getMisses());
        assertTrue(fs.getSessions() >= 1 && fs.getEntries() >= 1 && fs.getBytes() > 0, fs.toString());
        unary.close(CloseRequest.newBuilder().setSessionId(id).build());
        var after = unary.getStatus(GetStatusRequest.getDefaultInstance()).getFeatureStore();
        assertEquals(fs.getSessions() - 1, after.getSessions());
        assertTrue(after.getBytes() < fs.getBytes(), "closing frees the session's feature");
    }

    @Test
    void unknownSessionsAndBadInputsGetClearStatuses() {
        assertCode(Status.Code.NOT_FOUND, () -> unary.step(step("AAAAAAAAAAAAAAAAAAAAAA", StepMode.FULL)));
        String id = unary.open(openRequest()).getSessionId();
        try {
            StepRequest wrongSize = step(id, StepMode.FULL).toBuilder()
                    .setSample(TensorCodec.toProto(FloatTensor.zeros(2, 4, 30, 32))).build();
            assertTrue(assertCode(Status.Code.INVALID_ARGUMENT, () -> unary.step(wrongSize)).contains("sample"));
            StepRequest wrongBatch = step(id, StepMode.FULL).toBuilder()
                    .setSample(TensorCodec.toProto(FloatTensor.zeros(1, 4, 32, 32))).build();
            assertTrue(assertCode(Status.Code.INVALID_ARGUMENT, () -> unary.step(wrongBatch)).contains("batch"));
            StepRequest wrongType = step(id, StepMode.FULL).toBuilder()
                    .setSample(TensorCodec.toProtoInt32(new long[] {2, 4, 32, 32}, new int[2 * 4 * 32 * 32])).build();
            assertCode(Status.Code.INVALID_ARGUMENT, () -> unary.step(wrongType));
            assertCode(Status.Code.INVALID_ARGUMENT, () -> unary.step(step(id, StepMode.STEP_MODE_UNSPECIFIED)));
            StepRequest nanTimestep = step(id, StepMode.FULL).toBuilder().setTimestep(Double.NaN).build();
            assertTrue(assertCode(Status.Code.INVALID_ARGUMENT, () -> unary.step(nanTimestep)).startsWith("timestep:"));
            float[] nan = new float[2 * 4 * 32 * 32];
            nan[3] = Float.NaN;
            StepRequest nanSample = step(id, StepMode.FULL).toBuilder()
                    .setSample(TensorCodec.toProto(FloatTensor.of(new long[] {2, 4, 32, 32}, nan))).build();
            assertEquals("sample: contains NaN or Inf", assertCode(Status.Code.INVALID_ARGUMENT, () -> unary.step(nanSample)));
            assertCode(Status.Code.INVALID_ARGUMENT, () -> unary.open(openRequest().toBuilder().setCacheBranch(12).build()));
        } finally {
            unary.close(CloseRequest.newBuilder().setSessionId(id).build());
        }
    }

    /** SDXL over gRPC: text_embeds and time_ids sent once at open (unary and stream), Describe reports the graphs. */
    @Test
    void sdxlSessionsTakeTheirConditioningAtOpen() throws Exception {
        Path dir = UnetSdxlTest.caseDir("euler_p1nocfg_dc3");
        UnetConditioning c = UnetSdxlTest.conditioning(dir, false);
        OpenRequest sdxl = OpenRequest.newBuilder().setModel("tiny-sdxl")
                .setEncoderHiddenStates(TensorCodec.toProto(c.encoderHiddenStates()))
                .setTextEmbeds(TensorCodec.toProto(c.textEmbeds())).setTimeIds(TensorCodec.toProto(c.timeIds())).build();
        StepRequest step = StepRequest.newBuilder().setTimestep(951).setMode(StepMode.FULL)
                .setSample(TensorCodec.toProto(tensor(dir.resolve("latents_init.f32")))).build();
        String id = unary.open(sdxl).getSessionId();
        FloatTensor full;
        try {
            full = TensorCodec.fromProto(unary.step(step.toBuilder().setSessionId(id).build()).getNoisePred(), "noise_pred");
            StepResponse shallow = unary.step(step.toBuilder().setSessionId(id).setMode(StepMode.SHALLOW).build());
            assertTrue(shallow.getCacheHit());
            assertTrue(TensorCodec.fromProto(shallow.getNoisePred(), "noise_pred").maxAbsDiff(full) < 1e-5);
        } finally {
            unary.close(CloseRequest.newBuilder().setSessionId(id).build());
        }
        // the stream's open message takes the same fields
        LinkedBlockingQueue<Object> replies = new LinkedBlockingQueue<>();
        StreamObserver<DenoiseRequest> requests = DenoiserGrpc.newStub(channel).denoise(new StreamObserver<>() {
            public void onNext(DenoiseResponse r) { replies.add(r); }
            public void onError(Throwable t) { replies.add(t); }
            public void onCompleted() { replies.add("completed"); }
        });
        requests.onNext(DenoiseRequest.newBuilder().setOpen(sdxl).build());
        DenoiseResponse opened = (DenoiseResponse) replies.poll(120, TimeUnit.SECONDS);
        assertEquals("/up_blocks.2/resnets.1/Div_output_0", opened.getOpened().getUnet().getCacheTensor());
        requests.onNext(DenoiseRequest.newBuilder().setStep(step).build());
        StepResponse streamed = ((DenoiseResponse) replies.poll(60, TimeUnit.SECONDS)).getStep();
        assertEquals(0f, TensorCodec.fromProto(streamed.getNoisePred(), "noise_pred").maxAbsDiff(full));
        requests.onCompleted();
        assertEquals("completed", replies.poll(30, TimeUnit.SECONDS));

        var d = unary.describe(DescribeRequest.newBuilder().setModel("tiny-sdxl").setCacheBranch(0).build());
        assertEquals(9, d.getCacheBranches());
        assertEquals(java.util.List.of("sample", "timestep", "encoder_hidden_states", "text_embeds", "time_ids"), d.getFullInputsList());
        assertFalse(d.getShallowInputsList().contains("encoder_hidden_states"), d.getShallowInputsList().toString());
        assertEquals(12, unary.describe(DescribeRequest.newBuilder().setCacheBranch(0).build()).getCacheBranches());

        assertTrue(assertCode(Status.Code.INVALID_ARGUMENT, () -> unary.open(sdxl.toBuilder().clearTextEmbeds().build()))
                .startsWith("text_embeds: missing"));
        assertTrue(assertCode(Status.Code.INVALID_ARGUMENT, () -> unary.open(sdxl.toBuilder().clearTimeIds().build()))
                .startsWith("time_ids: missing"));
        assertTrue(assertCode(Status.Code.INVALID_ARGUMENT, () -> unary.open(sdxl.toBuilder().setCacheBranch(9).build()))
                .startsWith("cache_branch: 9 is out of range 0..8"));
        assertTrue(assertCode(Status.Code.INVALID_ARGUMENT, () -> unary.open(openRequest().toBuilder()
                .setTextEmbeds(sdxl.getTextEmbeds()).build())).startsWith("text_embeds: this UNet has no text_embeds input"));
        assertTrue(assertCode(Status.Code.INVALID_ARGUMENT, () -> unary.open(openRequest().toBuilder()
                .setTimeIds(sdxl.getTimeIds()).build())).startsWith("time_ids: this UNet has no time_ids input"));
    }

    static String assertCode(Status.Code code, Runnable call) {
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, call::run);
        assertEquals(code, e.getStatus().getCode(), e.getStatus().toString());
        return e.getStatus().getDescription();
    }
}
