package dev.sdserve.orchestrator.client;

import dev.sdserve.orchestrator.pipeline.DenoiserClient;
import dev.sdserve.orchestrator.pipeline.DenoiserSession;
import dev.sdserve.orchestrator.pipeline.UnetConditioning;
import dev.sdserve.proto.v1.DenoiserGrpc;
import dev.sdserve.proto.v1.OpenRequest;
import dev.sdserve.runtime.TensorCodec;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * {@link DenoiserClient} over unet-service's bidirectional Denoise stream: one stream per generation, so the
 * session and its cached feature live on one replica (the channel's balancer picks the serving one with the
 * fewest sessions). When that replica is lost the session moves to another ({@link MigratingSession}).
 */
public final class GrpcDenoiserClient implements DenoiserClient {
    private final DenoiserGrpc.DenoiserStub stub;
    private final StageEndpoint endpoint;
    private final Duration sessionDeadline;
    private final int maxMigrations;
    private final Runnable onMigration;

    /** A client whose sessions never move: a lost replica fails the generation with the stream's own error. */
    public GrpcDenoiserClient(DenoiserGrpc.DenoiserStub stub, StageEndpoint endpoint, Duration sessionDeadline) {
        this(stub, endpoint, sessionDeadline, 0, () -> { });
    }

    /**
     * @param endpoint        its deadline bounds each reply (open and every step)
     * @param sessionDeadline bounds the whole stream, as a safety net against a generation that never ends
     * @param maxMigrations   how often one generation's session may move to another replica (0 = never)
     * @param onMigration     called at each move (the metrics counter)
     */
    public GrpcDenoiserClient(DenoiserGrpc.DenoiserStub stub, StageEndpoint endpoint, Duration sessionDeadline,
                              int maxMigrations, Runnable onMigration) {
        this.stub = stub;
        this.endpoint = endpoint;
        this.sessionDeadline = sessionDeadline;
        this.maxMigrations = maxMigrations;
        this.onMigration = onMigration;
    }

    @Override
    public DenoiserSession open(String model, UnetConditioning conditioning, int cacheBranch) {
        OpenRequest.Builder open = OpenRequest.newBuilder().setModel(model)
                .setEncoderHiddenStates(TensorCodec.toProto(conditioning.encoderHiddenStates())).setCacheBranch(cacheBranch);
        conditioning.textEmbeds().ifPresent(t -> open.setTextEmbeds(TensorCodec.toProto(t)));
        conditioning.timeIds().ifPresent(t -> open.setTimeIds(TensorCodec.toProto(t)));
        return open(open.build());
    }

    /** Opens a session with this whole request (conditioning included), movable to another replica. */
    public DenoiserSession open(OpenRequest open) {
        return MigratingSession.open(this::openOn, open, endpoint.stage(), maxMigrations, onMigration);
    }

    private DenoiserSession openOn(OpenRequest open, ReplicaPick pick) {
        return GrpcDenoiserSession.open(stub.withDeadlineAfter(sessionDeadline.toMillis(), TimeUnit.MILLISECONDS)
                .withOption(ReplicaPick.KEY, pick), endpoint, open, pick);
    }
}
