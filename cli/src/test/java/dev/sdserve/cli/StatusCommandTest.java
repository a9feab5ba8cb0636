package dev.sdserve.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sdserve.proto.v1.DenoiserGrpc;
import dev.sdserve.proto.v1.FeatureStoreStatus;
import dev.sdserve.proto.v1.GetStatusRequest;
import dev.sdserve.proto.v1.GetStatusResponse;
import dev.sdserve.runtime.Json;
import io.grpc.Server;
import io.grpc.ServerBuilder;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.stub.StreamObserver;
import java.net.ServerSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@code sd status} (what {@code ./sd status [--json]} runs) against a unet-service double and a closed port. */
class StatusCommandTest {
    private final HealthStatusManager health = new HealthStatusManager();
    private Server unet;
    private int closed;

    @BeforeEach
    void start() throws Exception {
        unet = ServerBuilder.forPort(0).addService(health.getHealthService()).addService(new DenoiserGrpc.DenoiserImplBase() {
            @Override
            public void getStatus(GetStatusRequest request, StreamObserver<GetStatusResponse> out) {
                out.onNext(GetStatusResponse.newBuilder().setFeatureStore(FeatureStoreStatus.newBuilder().setSessions(2)).build());
                out.onCompleted();
            }
        }).build().start();
        try (ServerSocket s = new ServerSocket(0)) {
            closed = s.getLocalPort();
        }
        // the first gRPC call of a JVM loads netty (seconds on a loaded machine, past the 2 s check deadline)
        CommandParsingTest.run("status", "unet-service:0:" + unet.getPort() + ":1");
    }

    @AfterEach
    void stop() {
        unet.shutdownNow();
    }

    @Test
    void jsonHasOneObjectPerProcessWithSessionsForUnet() throws Exception {
        String[] r = CommandParsingTest.run("status", "--json", "unet-service:0:" + unet.getPort() + ":4242",
                "unet-service:1:" + closed + ":-", "vae-service:0:" + closed + ":77");
        assertEquals("1", r[0], "not all serve: " + r[1]);
        JsonNode a = Json.MAPPER.readTree(r[2]);
        assertEquals(3, a.size(), r[2]);
        JsonNode first = a.get(0);
        assertEquals("unet-service", first.get("service").asText());
        assertEquals(0, first.get("replica").asInt());
        assertEquals(unet.getPort(), first.get("port").asInt());
        assertEquals(4242, first.get("pid").asLong());
        assertTrue(first.get("serving").asBoolean());
        assertEquals(2, first.get("sessions").asInt());
        assertTrue(a.get(1).get("pid").isNull());
        assertTrue(a.get(1).get("sessions").isNull(), "an unreachable replica's sessions are unknown");
        assertEquals(false, a.get(2).get("serving").asBoolean());
        assertTrue(!a.get(2).has("sessions"), "only unet-service reports sessions");
    }

    @Test
    void theTableListsEveryReplicaAndANotServingOneFails() {
        health.setStatus("", ServingStatus.NOT_SERVING);
        String[] r = CommandParsingTest.run("status", "unet-service:0:" + unet.getPort() + ":4242");
        assertEquals("1", r[0]);
        String[] lines = r[2].strip().split("\\R");
        assertEquals(2, lines.length, r[2]);
        assertTrue(lines[1].matches("unet-service\\s+0\\s+" + unet.getPort() + "\\s+4242\\s+NOT_SERVING\\s+2"), lines[1]);
        health.setStatus("", ServingStatus.SERVING);
        assertEquals("0", CommandParsingTest.run("status", "unet-service:0:" + unet.getPort() + ":4242")[0]);
        assertEquals("2", CommandParsingTest.run("status", "unet-service:x")[0], "a bad member is a usage error");
    }
}
