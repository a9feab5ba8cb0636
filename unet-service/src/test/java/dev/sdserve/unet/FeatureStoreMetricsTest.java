package dev.sdserve.unet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sdserve.proto.v1.CloseRequest;
import dev.sdserve.proto.v1.DenoiserGrpc;
import dev.sdserve.proto.v1.GetStatusRequest;
import dev.sdserve.proto.v1.StepMode;
import dev.sdserve.runtime.GrpcProbe;
import io.grpc.ManagedChannel;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The feature store's Prometheus meters at /q/metrics agree with GetStatus after real steps. */
@QuarkusTest
class FeatureStoreMetricsTest {

    /** This test's gRPC server port: test-port=0, a free port chosen at start. */
    int port = GrpcProbe.serverPort();

    @TestHTTPResource("/q/metrics")
    URL metrics;

    @Test
    void prometheusMetersMatchGetStatus() throws Exception {
        ManagedChannel channel = GrpcProbe.channel(port);
        try {
            var unary = DenoiserGrpc.newBlockingStub(channel).withDeadlineAfter(120, TimeUnit.SECONDS);
            String id = unary.open(DenoiserGrpcServiceTest.openRequest()).getSessionId();
            unary.step(DenoiserGrpcServiceTest.step(id, StepMode.FULL));
            unary.step(DenoiserGrpcServiceTest.step(id, StepMode.SHALLOW));
            unary.step(DenoiserGrpcServiceTest.step(id, StepMode.SHALLOW));
            var status = unary.getStatus(GetStatusRequest.getDefaultInstance());
            String text = scrape();
            var fs = status.getFeatureStore();
            assertEquals(fs.getHits(), value(text, "sd_unet_feature_store_hits_total"), text);
            assertEquals(fs.getMisses(), value(text, "sd_unet_feature_store_misses_total"));
            assertEquals(fs.getSessions(), value(text, "sd_unet_feature_store_sessions"));
            assertEquals(fs.getBytes(), value(text, "sd_unet_feature_store_size_bytes"));
            assertEquals(fs.getMaxBytes(), value(text, "sd_unet_feature_store_max_bytes"));
            assertEquals(status.getLoadedCount(), value(text, "sd_unet_loaded"));
            assertTrue(fs.getHits() >= 2 && fs.getBytes() > 0, fs.toString());
            // gRPC server meters come with quarkus-micrometer
            assertTrue(text.contains("grpc_server_") && text.contains("method=\"Step\""), "gRPC server meters");
            unary.close(CloseRequest.newBuilder().setSessionId(id).build());
        } finally {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    private String scrape() throws Exception {
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(metrics.toString()))
                .GET().build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), r.body());
        return r.body();
    }

    /** The value of an untagged sample line {@code name value}. */
    static long value(String text, String name) {
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(name) + "(?:\\{[^}]*\\})? ([0-9.Ee+-]+)$").matcher(text);
        assertTrue(m.find(), name + " not in /q/metrics:\n" + text);
        return (long) Double.parseDouble(m.group(1));
    }
}
