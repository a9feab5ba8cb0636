package dev.sdserve.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sdserve.proto.v1.ImageGenerationGrpc;
import dev.sdserve.proto.v1.ListModelsRequest;
import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.TlsChannelCredentials;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * TLS on the public API through Quarkus's gRPC server TLS config (docs/tls.md): a self-signed certificate for
 * localhost made at test time with the JDK's keytool, an orchestrator started with it, and a TLS client that
 * trusts only that certificate. A plaintext client is turned away.
 */
class TlsE2eTest {
    private static final String PASSWORD = "sdserve-test";

    @Test
    void theOrchestratorServesGenerateOverTlsWithASelfSignedCertificate() throws Exception {
        ServiceCluster cluster = Cluster.get();
        Path dir = LimitsE2eTest.scratch("tls");
        Path keyStore = dir.resolve("orchestrator.p12");
        Path caPem = dir.resolve("orchestrator-ca.pem");
        TestCertificates.localhost("sdserve", keyStore, caPem, PASSWORD);

        try (ExtraOrchestrator o = ExtraOrchestrator.start(cluster, "tls-orchestrator", List.of(
                "-Dquarkus.grpc.server.ssl.key-store=" + keyStore,
                "-Dquarkus.grpc.server.ssl.key-store-password=" + PASSWORD))) {
            ManagedChannel tls = Grpc.newChannelBuilderForAddress("localhost", o.port,
                    TlsChannelCredentials.newBuilder().trustManager(caPem.toFile()).build()).build();
            ManagedChannel plain = o.plaintextChannel();
            try {
                ServiceCluster.awaitServing(tls, o.process, o.log, "TLS orchestrator");
                assertTrue(o.logText().contains("Disabling gRPC plain-text as the SSL certificate is configured"),
                        "Quarkus did not switch the server to TLS");
                Generations g = Generations.run(tls, FaultsE2eTest.shortRun(11));
                assertNotNull(g.result(), "no result over TLS");
                assertEquals(4, g.progress().size());

                StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> ImageGenerationGrpc
                        .newBlockingStub(plain).withDeadlineAfter(5, TimeUnit.SECONDS)
                        .listModels(ListModelsRequest.getDefaultInstance()));
                Results.append("tls: Generate over TLS with a self-signed certificate OK; plaintext client: "
                        + e.getStatus().getCode());
            } finally {
                tls.shutdownNow();
                plain.shutdownNow();
            }
        }
    }
}
