package dev.sdserve.unet;

import dev.sdserve.runtime.GrpcProbe;
import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.Test;

@QuarkusTest
class UnetServiceBootTest {

    /** This test's gRPC server port: test-port=0, a free port chosen at start. */
    int port = GrpcProbe.serverPort();

    @Test
    void answersHealthAndReflection() throws Exception {
        GrpcProbe.assertHealthyWithReflection(port, "sd.v1.Denoiser");
    }
}
