package dev.sdserve.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sdserve.proto.v1.DenoiserGrpc;
import dev.sdserve.proto.v1.GenerateRequest;
import dev.sdserve.proto.v1.OpenRequest;
import dev.sdserve.proto.v1.StepRequest;
import dev.sdserve.runtime.BrokenModels;
import dev.sdserve.runtime.FloatTensor;
import dev.sdserve.runtime.TensorCodec;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Broken model folders and unknown names through the running services (the cluster's second models root holds
 * the {@link BrokenModels}): each gets a status naming the stage and the part, no stage process dies, and a
 * healthy generation works right after.
 */
class BadModelsE2eTest {

    private static Status generate(ServiceCluster cluster, String model) throws Exception {
        RunningGeneration g = RunningGeneration.start(cluster.channel(ServiceCluster.Service.ORCHESTRATOR),
                FaultsE2eTest.shortRun(1).toBuilder().setModel(model).build(), 0);
        Status s = g.awaitEnd(60_000);
        Results.append("bad model " + model + ": " + s.getCode() + " after " + g.progress() + " steps: " + s.getDescription());
        return s;
    }

    @Test
    void aFolderWithAPartMissingIsNotFoundBeforeAnyStageRuns() throws Exception {
        ServiceCluster cluster = Cluster.get();
        Status s = generate(cluster, BrokenModels.NO_VAE_DECODER);
        assertEquals(Status.Code.NOT_FOUND, s.getCode(), s.toString());
        assertEquals("model 'no-vae-decoder' has no vae_decoder/model.onnx", s.getDescription());
        Status unknown = generate(cluster, "no-such-model");
        assertEquals(Status.Code.NOT_FOUND, unknown.getCode(), unknown.toString());
        assertTrue(unknown.getDescription().startsWith("model 'no-such-model' not found under ["), unknown.getDescription());
    }

    @Test
    void corruptOnnxFilesFailNamingTheStageAndTheFileAndEveryStageStaysUp() throws Exception {
        ServiceCluster cluster = Cluster.get();
        Status te = generate(cluster, BrokenModels.CORRUPT_TEXT_ENCODER);
        assertEquals(Status.Code.FAILED_PRECONDITION, te.getCode(), te.toString());
        assertTrue(te.getDescription().startsWith("text-encoder-service: cannot load ONNX model ")
                && te.getDescription().contains("corrupt-text-encoder/text_encoder/model.onnx"), te.getDescription());

        Status unet = generate(cluster, BrokenModels.CORRUPT_UNET);
        assertEquals(Status.Code.FAILED_PRECONDITION, unet.getCode(), unet.toString());
        assertTrue(unet.getDescription().startsWith("unet-service: ")
                && unet.getDescription().contains("corrupt-unet/unet/model.onnx"), unet.getDescription());

        Status vae = generate(cluster, BrokenModels.CORRUPT_VAE_DECODER);
        assertEquals(Status.Code.FAILED_PRECONDITION, vae.getCode(), vae.toString());
        assertTrue(vae.getDescription().startsWith("vae-service: cannot load ONNX model ")
                && vae.getDescription().contains("corrupt-vae-decoder/vae_decoder/model.onnx"), vae.getDescription());

        assertNotNull(Generations.run(cluster, FaultsE2eTest.shortRun(4)).result(), "a healthy generation after the errors");
    }

    @Test
    void unetServiceNamesTheMissingOrCorruptPartAndUnknownSessions() {
        ServiceCluster cluster = Cluster.get();
        DenoiserGrpc.DenoiserBlockingStub unet = DenoiserGrpc.newBlockingStub(cluster.channel(ServiceCluster.Service.UNET))
                .withDeadlineAfter(60, TimeUnit.SECONDS);
        OpenRequest.Builder open = OpenRequest.newBuilder()
                .setEncoderHiddenStates(TensorCodec.toProto(FloatTensor.zeros(2, 77, 32)));
        Status missing = status(() -> unet.open(open.setModel(BrokenModels.NO_UNET).build()));
        assertEquals(Status.Code.NOT_FOUND, missing.getCode(), missing.toString());
        assertEquals("model 'no-unet' has no unet/model.onnx", missing.getDescription());
        Status corrupt = status(() -> unet.open(open.setModel(BrokenModels.CORRUPT_UNET).build()));
        assertEquals(Status.Code.FAILED_PRECONDITION, corrupt.getCode(), corrupt.toString());
        assertTrue(corrupt.getDescription().contains("corrupt-unet/unet/model.onnx"), corrupt.getDescription());
        Status session = status(() -> unet.step(StepRequest.newBuilder().setSessionId("AAAAAAAAAAAAAAAAAAAAAA").build()));
        assertEquals(Status.Code.NOT_FOUND, session.getCode(), session.toString());
        Results.append("bad model (unet-service Open): " + missing + "; " + corrupt + "; unknown session: " + session);
    }

    private static Status status(Runnable call) {
        try {
            call.run();
            return Status.OK;
        } catch (StatusRuntimeException e) {
            return e.getStatus();
        }
    }
}
