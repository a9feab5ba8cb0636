package dev.sdserve.textencoder;

import static org.junit.jupiter.api.Assertions.*;

import dev.sdserve.proto.v1.TextEncoderGrpc;
import dev.sdserve.proto.v1.TokenizeRequest;
import dev.sdserve.runtime.GrpcProbe;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.Test;

@QuarkusTest
class TextEncoderServiceBootTest {

    /** This test's gRPC server port: test-port=0, a free port chosen at start. */
    int port = GrpcProbe.serverPort();

    @Test
    void answersHealthAndReflection() throws Exception {
        GrpcProbe.assertHealthyWithReflection(port, "sd.v1.TextEncoder");
    }

    @Test
    void unknownModelIsNotFoundNamingTheFolder() {
        ManagedChannel ch = GrpcProbe.channel(port);
        try {
            StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> TextEncoderGrpc.newBlockingStub(ch)
                    .tokenize(TokenizeRequest.newBuilder().setModel("no-such-model").addPrompts("x").build()));
            assertEquals(Status.Code.NOT_FOUND, e.getStatus().getCode());
            assertTrue(e.getStatus().getDescription().contains("no-such-model"));
            StatusRuntimeException bad = assertThrows(StatusRuntimeException.class, () -> TextEncoderGrpc.newBlockingStub(ch)
                    .tokenize(TokenizeRequest.newBuilder().setModel("../etc").addPrompts("x").build()));
            assertEquals(Status.Code.INVALID_ARGUMENT, bad.getStatus().getCode());
        } finally {
            ch.shutdownNow();
        }
    }
}
