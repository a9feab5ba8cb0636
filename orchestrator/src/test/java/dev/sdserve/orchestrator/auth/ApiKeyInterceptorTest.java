package dev.sdserve.orchestrator.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sdserve.proto.v1.GenerateEvent;
import dev.sdserve.proto.v1.GenerateRequest;
import dev.sdserve.proto.v1.ImageGenerationGrpc;
import dev.sdserve.proto.v1.ListModelsRequest;
import dev.sdserve.proto.v1.ListModelsResponse;
import dev.sdserve.runtime.LogCapture;
import io.grpc.Grpc;
import io.grpc.InsecureServerCredentials;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** API keys and per-key limits on a real gRPC server in front of a stand-in ImageGeneration service. */
class ApiKeyInterceptorTest {
    static final String KEY_A = "sk-test-alpha-0123456789";
    static final String KEY_B = "sk-test-bravo-9876543210";

    final AtomicInteger generations = new AtomicInteger();
    volatile CountDownLatch release = new CountDownLatch(0);
    final CountDownLatch started = new CountDownLatch(1);
    Server server;
    ManagedChannel channel;
    LogCapture log;

    /** Counts generations that ran; each waits on {@link #release}. */
    final class Service extends ImageGenerationGrpc.ImageGenerationImplBase {
        @Override
        public void generate(GenerateRequest request, StreamObserver<GenerateEvent> responses) {
            generations.incrementAndGet();
            started.countDown();
            try {
                release.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            responses.onNext(GenerateEvent.getDefaultInstance());
            responses.onCompleted();
        }

        @Override
        public void listModels(ListModelsRequest request, StreamObserver<ListModelsResponse> responses) {
            responses.onNext(ListModelsResponse.getDefaultInstance());
            responses.onCompleted();
        }
    }

    void start(ApiKeys keys, int perKey) throws Exception {
        ApiKeyInterceptor interceptor = new ApiKeyInterceptor(keys, new KeyLimits(perKey));
        server = Grpc.newServerBuilderForPort(0, InsecureServerCredentials.create())
                .addService(ServerInterceptors.intercept(new Service(), interceptor)).build().start();
        channel = ManagedChannelBuilder.forAddress("localhost", server.getPort()).usePlaintext().build();
    }

    @BeforeEach
    void capture() {
        log = LogCapture.of(ApiKeyInterceptor.class);
    }

    @AfterEach
    void stop() throws Exception {
        log.close();
        release.countDown();
        if (channel != null) channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        if (server != null) server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }

    ImageGenerationGrpc.ImageGenerationBlockingStub stub(String authorization) {
        ImageGenerationGrpc.ImageGenerationBlockingStub s = ImageGenerationGrpc.newBlockingStub(channel)
                .withDeadlineAfter(20, TimeUnit.SECONDS);
        if (authorization == null) return s;
        Metadata h = new Metadata();
        h.put(ApiKeyInterceptor.AUTHORIZATION, authorization);
        return s.withInterceptors(MetadataUtils.newAttachHeadersInterceptor(h));
    }

    static Status.Code generate(ImageGenerationGrpc.ImageGenerationBlockingStub s) {
        try {
            Iterator<GenerateEvent> it = s.generate(GenerateRequest.getDefaultInstance());
            while (it.hasNext()) it.next();
            return Status.Code.OK;
        } catch (StatusRuntimeException e) {
            return e.getStatus().getCode();
        }
    }

    @Test
    void withoutAValidKeyNothingRuns() throws Exception {
        start(ApiKeys.of(List.of(KEY_A, KEY_B)), 0);
        for (String bad : new String[] {null, "", "Bearer", "Bearer wrong-key", "Basic " + KEY_A, KEY_A}) {
            StatusRuntimeException e = org.junit.jupiter.api.Assertions.assertThrows(StatusRuntimeException.class,
                    () -> stub(bad).generate(GenerateRequest.getDefaultInstance()).hasNext());
            assertEquals(Status.Code.UNAUTHENTICATED, e.getStatus().getCode(), String.valueOf(bad));
            assertTrue(e.getStatus().getDescription().startsWith("authorization:"), e.getStatus().getDescription());
        }
        assertEquals(Status.Code.UNAUTHENTICATED, org.junit.jupiter.api.Assertions.assertThrows(
                StatusRuntimeException.class, () -> stub(null).listModels(ListModelsRequest.getDefaultInstance()))
                .getStatus().getCode());
        assertEquals(0, generations.get(), "no generation ran");
        assertEquals(Status.Code.OK, generate(stub("Bearer " + KEY_A)));
        assertEquals(Status.Code.OK, generate(stub("bearer " + KEY_B)));
        stub("Bearer " + KEY_A).listModels(ListModelsRequest.getDefaultInstance());
        assertEquals(2, generations.get());
        for (String line : log.messages()) {
            assertFalse(line.contains(KEY_A) || line.contains(KEY_B) || line.contains("wrong-key"), "a key was logged: " + line);
        }
    }

    @Test
    void aKeyPastItsLimitIsResourceExhaustedWhileOtherKeysRun() throws Exception {
        start(ApiKeys.of(List.of(KEY_A, KEY_B)), 1);
        release = new CountDownLatch(1);
        Thread first = new Thread(() -> generate(stub("Bearer " + KEY_A)));
        first.start();
        assertTrue(started.await(10, TimeUnit.SECONDS));
        StatusRuntimeException e = org.junit.jupiter.api.Assertions.assertThrows(StatusRuntimeException.class,
                () -> stub("Bearer " + KEY_A).generate(GenerateRequest.getDefaultInstance()).hasNext());
        assertEquals(Status.Code.RESOURCE_EXHAUSTED, e.getStatus().getCode());
        assertTrue(e.getStatus().getDescription().contains("sd.orchestrator.max-concurrent-per-key"));
        assertEquals(1, generations.get(), "the refused call did not run");
        Thread other = new Thread(() -> generate(stub("Bearer " + KEY_B)));
        other.start();
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (generations.get() < 2 && System.nanoTime() < deadline) Thread.sleep(10);
        assertEquals(2, generations.get(), "another key is not held up");
        release.countDown();
        first.join(20_000);
        other.join(20_000);
        assertEquals(Status.Code.OK, generate(stub("Bearer " + KEY_A)), "the slot was returned");
    }

    @Test
    void withoutKeysTheApiIsOpen() throws Exception {
        start(ApiKeys.none(), 1);
        assertEquals(Status.Code.OK, generate(stub(null)));
    }

    @Test
    void keysComeFromTheValueAndAFile(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("keys");
        Files.writeString(file, "# team keys\n" + KEY_B + "\n\n");
        ApiKeys keys = ApiKeys.load(Optional.of(KEY_A), Optional.of(file.toString()));
        assertEquals(2, keys.size());
        assertTrue(keys.identify("Bearer " + KEY_B).isPresent());
        assertEquals(keys.identify("Bearer " + KEY_A), keys.identify("Bearer  " + KEY_A + " "));
        assertFalse(keys.identify("Bearer " + KEY_A).orElseThrow().contains(KEY_A.substring(0, 6)), "ids are digests");
        assertFalse(ApiKeys.load(Optional.empty(), Optional.empty()).enabled());
    }

    @Test
    void loopbackHosts() {
        assertTrue(ApiKeyInterceptor.loopback("127.0.0.1"));
        assertTrue(ApiKeyInterceptor.loopback("localhost"));
        assertFalse(ApiKeyInterceptor.loopback("0.0.0.0"));
    }
}
