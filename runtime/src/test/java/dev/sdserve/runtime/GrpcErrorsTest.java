package dev.sdserve.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Only request validation is the client's fault; everything else is INTERNAL, logged with its stack trace. */
class GrpcErrorsTest {
    private LogCapture log;

    @BeforeEach
    void capture() {
        log = LogCapture.of(GrpcErrors.class);
    }

    @AfterEach
    void release() {
        log.close();
    }

    @Test
    void validationErrorsAreInvalidArgumentNamingTheField() {
        StatusRuntimeException s = GrpcErrors.toStatus(SdException.invalid("height: must be a multiple of 64"));
        assertEquals(Status.Code.INVALID_ARGUMENT, s.getStatus().getCode());
        assertEquals("height: must be a multiple of 64", s.getStatus().getDescription());
        assertTrue(log.records().isEmpty(), "a client's mistake is not logged as an error");
    }

    @Test
    void anIllegalArgumentExceptionIsAnInternalFaultLoggedWithItsStackTrace() {
        IllegalArgumentException bug = new IllegalArgumentException("slice [0,3) out of FloatTensor[2]");
        StatusRuntimeException s = GrpcErrors.toStatus(bug);
        assertEquals(Status.Code.INTERNAL, s.getStatus().getCode());
        assertEquals(GrpcErrors.INTERNAL_MESSAGE, s.getStatus().getDescription());
        assertFalse(s.getStatus().getDescription().contains("slice"), "no internals to the client");
        assertEquals(1, log.records().size());
        assertEquals(bug, log.records().get(0).getThrown(), "logged with the exception and its stack trace");
    }

    @Test
    void otherRuntimeExceptionsAreInternalToo() {
        StatusRuntimeException s = GrpcErrors.toStatus(new IllegalStateException("boom"));
        assertEquals(Status.Code.INTERNAL, s.getStatus().getCode());
        assertEquals(GrpcErrors.INTERNAL_MESSAGE, s.getStatus().getDescription());
        assertEquals(1, log.records().size());
    }
}
