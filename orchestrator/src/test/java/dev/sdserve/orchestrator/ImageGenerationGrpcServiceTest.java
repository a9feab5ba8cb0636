package dev.sdserve.orchestrator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sdserve.proto.v1.DeepCacheParams;
import dev.sdserve.proto.v1.GenerateRequest;
import dev.sdserve.proto.v1.ImageGenerationGrpc;
import dev.sdserve.proto.v1.InitImage;
import dev.sdserve.proto.v1.ListModelsRequest;
import dev.sdserve.proto.v1.ListModelsResponse;
import dev.sdserve.proto.v1.ModelInfo;
import dev.sdserve.runtime.GrpcProbe;
import dev.sdserve.runtime.SharedFixtures;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The public API over gRPC with no stage running (the test profile points the stage clients at a closed
 * port): bad input is INVALID_ARGUMENT naming the field, a good request is UNAVAILABLE naming the first stage
 * it needs, and ListModels describes the tiny model.
 */
@QuarkusTest
class ImageGenerationGrpcServiceTest {

    /** This test's gRPC server port: test-port=0, a free port chosen at start. */
    int port = GrpcProbe.serverPort();

    private ManagedChannel channel;
    private ImageGenerationGrpc.ImageGenerationBlockingStub api;

    @BeforeEach
    void connect() {
        SharedFixtures.assume();
        channel = GrpcProbe.channel(port);
        api = ImageGenerationGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS);
    }

    @AfterEach
    void close() {
        if (channel != null) channel.shutdownNow();
    }

    private StatusRuntimeException generateFails(GenerateRequest r) {
        return assertThrows(StatusRuntimeException.class, () -> api.generate(r).forEachRemaining(e -> { }));
    }

    private void assertInvalid(String field, GenerateRequest.Builder r) {
        StatusRuntimeException e = generateFails(r.setPrompt("p").build());
        assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode(), e.toString());
        assertTrue(e.getStatus().getDescription().startsWith(field + ":"), e.getStatus().getDescription());
    }

    @Test
    void badInputIsInvalidArgumentNamingTheField() {
        assertInvalid("steps", GenerateRequest.newBuilder().setSteps(1001));
        assertInvalid("guidance", GenerateRequest.newBuilder().setGuidance(Double.NaN));
        assertInvalid("n_images", GenerateRequest.newBuilder().setNImages(100));
        assertInvalid("height", GenerateRequest.newBuilder().setHeight(65));
        assertInvalid("scheduler", GenerateRequest.newBuilder().setScheduler("no-such-scheduler"));
        assertInvalid("deepcache.cache_interval", GenerateRequest.newBuilder()
                .setDeepcache(DeepCacheParams.newBuilder().setCacheInterval(-3)));
        assertInvalid("init_image.strength", GenerateRequest.newBuilder()
                .setInitImage(InitImage.newBuilder().setStrength(2).setEncodedImage(com.google.protobuf.ByteString.copyFromUtf8("x"))));
    }

    @Test
    void aStageThatIsDownIsUnavailableNamingTheStage() {
        StatusRuntimeException e = generateFails(GenerateRequest.newBuilder().setPrompt("p").setSteps(2).build());
        assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode(), e.toString());
        assertTrue(e.getStatus().getDescription().startsWith("text-encoder-service unavailable at localhost:1"),
                e.getStatus().getDescription());
    }

    @Test
    void listModelsDescribesTheTinyModel() {
        ListModelsResponse r = api.listModels(ListModelsRequest.getDefaultInstance());
        assertEquals("tiny-sd15", r.getDefaultModel());
        ModelInfo m = r.getModelsList().stream().filter(i -> i.getName().equals("tiny-sd15")).findFirst().orElseThrow();
        assertEquals("sd15", m.getKind());
        assertEquals("PNDMScheduler", m.getDefaultScheduler());
        assertEquals(256, m.getNativeHeight());
        assertEquals(256, m.getNativeWidth());
        assertEquals("float32", m.getDtype());
        assertFalse(m.getLoaded(), "unet-service is down here, so nothing is known to be loaded");
        assertEquals(SharedFixtures.modelsRoot().toString(), m.getRoot());
    }

    @TestHTTPResource("/q/metrics")
    URL metrics;

    @Test
    void metricsServeTheLimiterGauges() throws Exception {
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(metrics.toString()))
                .GET().build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode());
        assertTrue(r.body().contains("\nsd_generations_running 0.0") && r.body().contains("\nsd_generations_waiting 0.0"),
                r.body());
    }
}
