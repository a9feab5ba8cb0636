package dev.sdserve.unet;

import dev.sdserve.runtime.GrpcProbe;
import io.quarkus.test.junit.QuarkusTest;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

@QuarkusTest
class UnetServiceBootTest {

    @ConfigProperty(name = "quarkus.grpc.server.test-port")
    int port;

    @Test
    void answersHealthAndReflection() throws Exception {
        GrpcProbe.assertHealthyWithReflection(port, "sd.v1.Denoiser");
    }
}
