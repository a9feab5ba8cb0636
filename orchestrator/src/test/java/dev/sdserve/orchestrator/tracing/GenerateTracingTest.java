package dev.sdserve.orchestrator.tracing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sdserve.proto.v1.DeepCacheParams;
import dev.sdserve.proto.v1.GenerateEvent;
import dev.sdserve.proto.v1.GenerateRequest;
import dev.sdserve.proto.v1.ImageGenerationGrpc;
import dev.sdserve.proto.v1.StageTiming;
import dev.sdserve.runtime.GrpcProbe;
import dev.sdserve.runtime.RecordedSpans;
import dev.sdserve.runtime.SharedFixtures;
import dev.sdserve.runtime.Tracing;
import io.grpc.ManagedChannel;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The orchestrator's side of a generation's trace, over real gRPC to fake stages ({@link FakeStageServer}):
 * one {@code generate} span; the Encode, Denoise and Decode client spans inside it; and the W3C trace context
 * each stage call carried on the wire naming exactly those client spans, which is what makes the stage
 * services' spans (checked in unet-service and by the Zipkin e2e test) descendants of {@code generate}.
 */
@QuarkusTest
@TestProfile(GenerateTracingTest.Traced.class)
class GenerateTracingTest {

    /** Tracing on, the stage clients pointed at the fakes; the in-memory exporter replaces OTLP. */
    public static class Traced implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("quarkus.otel.sdk.disabled", "false", "quarkus.otel.bsp.schedule.delay", "20ms");
        }

        @Override
        public List<TestResourceEntry> testResources() {
            return List.of(new TestResourceEntry(FakeStageServer.class));
        }
    }

    /** Quarkus exports to every SpanExporter bean. */
    @Singleton
    static class Exporter {
        @Produces
        @Singleton
        InMemorySpanExporter inMemorySpanExporter() {
            return InMemorySpanExporter.create();
        }
    }

    /** This test's gRPC server port: test-port=0, a free port chosen at start. */
    int port = GrpcProbe.serverPort();
    @Inject
    InMemorySpanExporter exporter;

    @Test
    void theStageCallsRunInsideTheGenerateSpanAndCarryItsContext() throws Exception {
        SharedFixtures.assume();
        List<GenerateEvent> events = generate(GenerateRequest.newBuilder().setPrompt("a cat").setSteps(4).setScheduler("ddim")
                .setHeight(64).setWidth(64).setDeepcache(DeepCacheParams.newBuilder().setCacheInterval(2)).build());
        List<String> modes = events.stream().filter(GenerateEvent::hasProgress).map(e -> e.getProgress().getMode().name()).toList();
        assertEquals(List.of("FULL", "SHALLOW", "FULL", "SHALLOW"), modes);

        SpanData generate = RecordedSpans.awaitSpan(exporter, s -> s.getName().equals(Tracing.GENERATE)
                && Long.valueOf(4).equals(s.getAttributes().get(AttributeKey.longKey("sd.steps"))), 10_000);
        RecordedSpans trace = RecordedSpans.await(exporter, generate.getTraceId(),
                t -> !t.named("sd.v1.ImageGeneration/Generate").isEmpty(), 10_000);
        assertEquals(trace.one("sd.v1.ImageGeneration/Generate").getSpanId(), generate.getParentSpanId(),
                "generate runs in the server span of the Generate call");
        assertEquals("tiny-sd15", generate.getAttributes().get(Tracing.MODEL));
        assertNotNull(generate.getAttributes().get(AttributeKey.doubleKey("sd.profile.unet_full_ms")));

        for (String method : List.of("sd.v1.TextEncoder/Encode", "sd.v1.Denoiser/Denoise", "sd.v1.Vae/Decode")) {
            SpanData client = trace.one(method);
            assertEquals(SpanKind.CLIENT, client.getKind(), method);
            assertTrue(trace.descendsFrom(client, generate), method + " is inside generate: " + trace);
            String carried = FakeStageServer.TRACEPARENTS.get(method);
            assertEquals("00-" + generate.getTraceId() + "-" + client.getSpanId() + "-01", carried,
                    method + " carried the generation's trace to the stage");
        }
    }

    @Test
    void theTimingsEventHasOneRowPerStageWithConsistentCounts() throws Exception {
        SharedFixtures.assume();
        List<GenerateEvent> events = generate(GenerateRequest.newBuilder().setPrompt("a dog").setSteps(6).setScheduler("ddim")
                .setHeight(64).setWidth(64).setDeepcache(DeepCacheParams.newBuilder().setCacheInterval(3)).build());
        List<StageTiming> rows = events.get(events.size() - 1).getTimings().getStagesList();
        Map<String, StageTiming> byStage = new java.util.LinkedHashMap<>();
        rows.forEach(r -> byStage.put(r.getStage(), r));
        assertEquals(List.of("text_encode", "unet_full", "unet_shallow", "scheduler", "vae", "grpc_overhead", "total"),
                new ArrayList<>(byStage.keySet()));
        assertEquals(2, byStage.get("unet_full").getCount());
        assertEquals(4, byStage.get("unet_shallow").getCount());
        assertEquals(6, byStage.get("scheduler").getCount());
        assertEquals(6, byStage.get("grpc_overhead").getCount());
        for (StageTiming r : rows) {
            assertEquals(r.getTotalMs() / r.getCount(), r.getMeanMs(), 1e-9, r.getStage());
            assertTrue(r.getTotalMs() >= 0 && r.getTotalMs() <= byStage.get("total").getTotalMs(), r.getStage());
        }
        // the fake UNet says each step took 0.5 ms on the server: the overhead is the rest of each round trip
        double unet = byStage.get("unet_full").getTotalMs() + byStage.get("unet_shallow").getTotalMs();
        assertEquals(unet - 6 * 0.5, byStage.get("grpc_overhead").getTotalMs(), 1e-6);
    }

    private List<GenerateEvent> generate(GenerateRequest request) throws InterruptedException {
        ManagedChannel channel = GrpcProbe.channel(port);
        try {
            List<GenerateEvent> events = new ArrayList<>();
            ImageGenerationGrpc.newBlockingStub(channel).withDeadlineAfter(60, TimeUnit.SECONDS).generate(request)
                    .forEachRemaining(events::add);
            return events;
        } finally {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }
}
