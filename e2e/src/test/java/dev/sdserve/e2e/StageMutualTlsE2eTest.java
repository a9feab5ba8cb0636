package dev.sdserve.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.ChannelCredentials;
import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.TlsChannelCredentials;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import org.junit.jupiter.api.Test;

/**
 * Mutual TLS on a stage service (docs/tls.md, "Stage services"): a vae-service started with Quarkus's gRPC server
 * TLS keys, a trust store holding the orchestrator's client certificate and {@code client-auth=REQUIRED}. A client
 * presenting that certificate is served; a TLS client without a certificate and a plaintext client are refused.
 */
class StageMutualTlsE2eTest {
    private static final String PASSWORD = "sdserve-mtls";

    @Test
    void aStageServiceWithClientAuthRequiredRefusesAClientWithoutACertificate() throws Exception {
        ServiceCluster cluster = Cluster.get();
        Path dir = LimitsE2eTest.scratch("mtls");
        Path server = dir.resolve("vae.p12");
        Path serverPem = dir.resolve("vae.pem");
        Path client = dir.resolve("orchestrator-client.p12");
        Path clientPem = dir.resolve("orchestrator-client.pem");
        Path trust = dir.resolve("vae-trust.p12");
        for (Path p : List.of(server, serverPem, client, clientPem, trust)) Files.deleteIfExists(p);
        TestCertificates.localhost("vae", server, serverPem, PASSWORD);
        TestCertificates.selfSigned("orchestrator", "CN=sdserve-orchestrator", null, client, clientPem, PASSWORD);
        TestCertificates.keytool("-importcert", "-noprompt", "-alias", "orchestrator", "-file", clientPem.toString(), "-keystore",
                trust.toString(), "-storetype", "PKCS12", "-storepass", PASSWORD);

        int port = ServiceCluster.freePort();
        Path log = Cluster.layout().workDir().resolve("mtls-vae.log");
        Files.deleteIfExists(log);
        Process vae = cluster.launchExtra(ServiceCluster.Service.VAE, port, List.of(
                "-Dquarkus.grpc.server.ssl.key-store=" + server, "-Dquarkus.grpc.server.ssl.key-store-password=" + PASSWORD,
                "-Dquarkus.grpc.server.ssl.trust-store=" + trust,
                "-Dquarkus.grpc.server.ssl.trust-store-password=" + PASSWORD,
                "-Dquarkus.grpc.server.ssl.client-auth=REQUIRED"), log);
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(client)) {
            ks.load(in, PASSWORD.toCharArray());
        }
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(ks, PASSWORD.toCharArray());
        ManagedChannel withCert = channel(port, TlsChannelCredentials.newBuilder().keyManager(kmf.getKeyManagers())
                .trustManager(serverPem.toFile()).build());
        ManagedChannel withoutCert = channel(port, TlsChannelCredentials.newBuilder().trustManager(serverPem.toFile()).build());
        ManagedChannel plain = Grpc.newChannelBuilderForAddress("localhost", port,
                io.grpc.InsecureChannelCredentials.create()).build();
        try {
            ServiceCluster.awaitServing(withCert, vae, log, "mTLS vae-service");
            assertEquals(HealthCheckResponse.ServingStatus.SERVING, check(withCert));
            StatusRuntimeException noCert = assertThrows(StatusRuntimeException.class, () -> check(withoutCert));
            StatusRuntimeException plainText = assertThrows(StatusRuntimeException.class, () -> check(plain));
            assertTrue(vae.isAlive(), "the stage stays up");
            Results.append("mtls: vae-service with client-auth=REQUIRED served a client with a certificate; without one: "
                    + noCert.getStatus().getCode() + "; plaintext: " + plainText.getStatus().getCode());
        } finally {
            withCert.shutdownNow();
            withoutCert.shutdownNow();
            plain.shutdownNow();
            vae.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }

    private static ManagedChannel channel(int port, ChannelCredentials credentials) {
        return Grpc.newChannelBuilderForAddress("localhost", port, credentials).build();
    }

    private static HealthCheckResponse.ServingStatus check(ManagedChannel ch) {
        return HealthGrpc.newBlockingStub(ch).withDeadlineAfter(10, TimeUnit.SECONDS)
                .check(HealthCheckRequest.getDefaultInstance()).getStatus();
    }
}
