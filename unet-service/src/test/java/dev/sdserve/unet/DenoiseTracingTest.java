package dev.sdserve.unet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sdserve.proto.v1.DenoiseRequest;
import dev.sdserve.proto.v1.DenoiseResponse;
import dev.sdserve.proto.v1.DenoiserGrpc;
import dev.sdserve.proto.v1.StepMode;
import dev.sdserve.runtime.GrpcProbe;
import dev.sdserve.runtime.RecordedSpans;
import dev.sdserve.runtime.SharedFixtures;
import dev.sdserve.runtime.Tracing;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import jakarta.enterprise.inject.Any;
import jakarta.enterprise.inject.Instance;
import jakarta.inject.Inject;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The spans of a Denoise stream, as a caller in another process sees them: the caller's W3C trace context
 * rides in the gRPC metadata, the stream's server span is its child, and every step is a {@code unet_step}
 * child of that server span with the graph that ran, the cache hit, the batch, the model and the EP.
 */
@QuarkusTest
@TestProfile(DenoiseTracingTest.Traced.class)
class DenoiseTracingTest {
    private static final Metadata.Key<String> TRACEPARENT = Metadata.Key.of("traceparent", Metadata.ASCII_STRING_MARSHALLER);
    private static final SecureRandom RANDOM = new SecureRandom();

    /** Tracing on; the in-memory exporter replaces OTLP, so nothing leaves the JVM. */
    public static class Traced implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("quarkus.otel.sdk.disabled", "false", "quarkus.otel.bsp.schedule.delay", "20ms");
        }
    }

    /** This test's gRPC server port: test-port=0, a free port chosen at start. */
    int port = GrpcProbe.serverPort();
    @Inject
    InMemorySpanExporter exporter;
    @Inject
    @Any
    Instance<SpanExporter> exporters;

    @Test
    void theZipkinExporterIsOnlyLookedUpWhenConfigured() {
        // Quarkus exports to every SpanExporter found (and drops OTLP if any): without sd.tracing.exporter=zipkin
        // only this test's exporter may be there, so a default deployment keeps OTLP
        List<SpanExporter> found = exporters.stream().toList();
        assertEquals(1, found.size(), found.toString());
        assertInstanceOf(InMemorySpanExporter.class, found.get(0));
    }

    @Test
    void stepSpansAreChildrenOfTheCallersTraceAndFollowTheSchedule() throws Exception {
        SharedFixtures.assume();
        List<StepMode> schedule = List.of(StepMode.FULL, StepMode.SHALLOW, StepMode.SHALLOW, StepMode.FULL, StepMode.SHALLOW);
        String traceId = hex(16);
        String callerSpan = hex(8);
        runStream(traceId, callerSpan, schedule);

        RecordedSpans trace = RecordedSpans.await(exporter, traceId,
                t -> t.named(Tracing.UNET_STEP).size() == schedule.size() && !t.named("sd.v1.Denoiser/Denoise").isEmpty(),
                15_000);
        SpanData call = trace.one("sd.v1.Denoiser/Denoise");
        assertEquals(SpanKind.SERVER, call.getKind());
        assertEquals(callerSpan, call.getParentSpanId(), "the server span continues the caller's span");
        List<SpanData> steps = trace.named(Tracing.UNET_STEP, Tracing.STEP);
        for (int i = 0; i < schedule.size(); i++) {
            SpanData s = steps.get(i);
            assertEquals(call.getSpanId(), s.getParentSpanId(), "step " + i + " is a child of the stream's span");
            assertEquals(i, s.getAttributes().get(Tracing.STEP));
            assertEquals(schedule.get(i).name(), s.getAttributes().get(Tracing.MODE), "step " + i);
            assertEquals(schedule.get(i).name(), s.getAttributes().get(Tracing.MODE_REQUESTED), "step " + i);
            assertEquals(schedule.get(i) == StepMode.SHALLOW, s.getAttributes().get(Tracing.CACHE_HIT), "step " + i);
            assertEquals("tiny-sd15", s.getAttributes().get(Tracing.MODEL));
            assertEquals("cpu", s.getAttributes().get(Tracing.EP));
            assertEquals(2L, s.getAttributes().get(Tracing.BATCH));
            assertEquals(981.0, s.getAttributes().get(Tracing.TIMESTEP));
            assertTrue(s.getEvents().isEmpty(), "no feature-store event on a hit or a full step: " + s.getEvents());
        }
    }

    @Test
    void aShallowStepWithoutAFeatureRecordsAMissAndRunsFull() throws Exception {
        SharedFixtures.assume();
        String traceId = hex(16);
        runStream(traceId, hex(8), List.of(StepMode.SHALLOW));

        RecordedSpans trace = RecordedSpans.await(exporter, traceId, t -> t.named(Tracing.UNET_STEP).size() == 1, 15_000);
        SpanData step = trace.one(Tracing.UNET_STEP);
        assertEquals("SHALLOW", step.getAttributes().get(Tracing.MODE_REQUESTED));
        assertEquals("FULL", step.getAttributes().get(Tracing.MODE));
        assertEquals(false, step.getAttributes().get(Tracing.CACHE_HIT));
        assertEquals(List.of(Tracing.FEATURE_MISS), step.getEvents().stream().map(e -> e.getName()).toList());
    }

    /** One Denoise stream under the caller's trace context: open, the steps in order, then half-close. */
    private void runStream(String traceId, String parentSpan, List<StepMode> modes) throws Exception {
        Metadata headers = new Metadata();
        headers.put(TRACEPARENT, "00-" + traceId + "-" + parentSpan + "-01");
        ManagedChannel channel = GrpcProbe.channel(port);
        try {
            LinkedBlockingQueue<Object> replies = new LinkedBlockingQueue<>();
            StreamObserver<DenoiseRequest> requests = DenoiserGrpc.newStub(channel)
                    .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers))
                    .withDeadlineAfter(120, TimeUnit.SECONDS).denoise(new StreamObserver<>() {
                        public void onNext(DenoiseResponse r) { replies.add(r); }
                        public void onError(Throwable t) { replies.add(t); }
                        public void onCompleted() { replies.add("completed"); }
                    });
            requests.onNext(DenoiseRequest.newBuilder().setOpen(DenoiserGrpcServiceTest.openRequest()).build());
            assertInstanceOf(DenoiseResponse.class, replies.poll(120, TimeUnit.SECONDS));
            for (StepMode mode : modes) {
                requests.onNext(DenoiseRequest.newBuilder().setStep(DenoiserGrpcServiceTest.step("", mode)).build());
                Object r = replies.poll(120, TimeUnit.SECONDS);
                assertTrue(r instanceof DenoiseResponse d && d.hasStep(), "step reply: " + r);
            }
            requests.onCompleted();
            assertEquals("completed", replies.poll(30, TimeUnit.SECONDS));
        } finally {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    private static String hex(int bytes) {
        byte[] b = new byte[bytes];
        RANDOM.nextBytes(b);
        return HexFormat.of().formatHex(b);
    }
}
