package dev.sdserve.unet;

import dev.sdserve.proto.v1.DescribeResponse;
import dev.sdserve.proto.v1.FeatureStoreStatus;
import dev.sdserve.proto.v1.GetStatusResponse;
import dev.sdserve.proto.v1.LoadedUnet;
import dev.sdserve.proto.v1.OpenRequest;
import dev.sdserve.proto.v1.OpenResponse;
import dev.sdserve.proto.v1.StepMode;
import dev.sdserve.proto.v1.StepRequest;
import dev.sdserve.proto.v1.StepResponse;
import dev.sdserve.runtime.SdException;
import dev.sdserve.runtime.TensorCodec;

/** Maps Denoiser protobuf messages to domain calls and back; shared by the unary calls and the stream. */
final class ProtoMapping {
    private ProtoMapping() {
    }

    /**
     * The bidi stream's open message and the unary Open both come here.
     *
     * @param unary the unary Open (its own session limit and idle TTL) rather than a Denoise stream
     */
    static DenoiseSession open(DenoiseSessions sessions, OpenRequest req, boolean unary) {
        SdException.require(req.hasEncoderHiddenStates(), "encoder_hidden_states: missing tensor");
        UnetConditioning c = new UnetConditioning(
                TensorCodec.fromProto(req.getEncoderHiddenStates(), "encoder_hidden_states"),
                req.hasTextEmbeds() ? TensorCodec.fromProto(req.getTextEmbeds(), "text_embeds") : null,
                req.hasTimeIds() ? TensorCodec.fromProto(req.getTimeIds(), "time_ids") : null);
        return sessions.open(req.getModel(), c, req.getCacheBranch(), unary);
    }

    static OpenResponse opened(DenoiseSession s) {
        return OpenResponse.newBuilder().setSessionId(s.id()).setModel(s.description().model())
                .setUnet(describe(s.description())).build();
    }

    static StepResponse step(DenoiseSession s, StepRequest req) {
        DenoiseSession.Mode mode = switch (req.getMode()) {
            case FULL -> DenoiseSession.Mode.FULL;
            case SHALLOW -> DenoiseSession.Mode.SHALLOW;
            default -> throw SdException.invalid("mode: expected FULL or SHALLOW, got " + req.getMode());
        };
        SdException.require(req.hasSample(), "sample: missing tensor");
        SdException.require(Double.isFinite(req.getTimestep()), "timestep: " + req.getTimestep() + " is not finite");
        DenoiseSession.StepResult r = s.step(TensorCodec.fromProto(req.getSample(), "sample"), req.getTimestep(), mode);
        return StepResponse.newBuilder().setNoisePred(TensorCodec.toProto(r.noisePred()))
                .setModeRun(r.modeRun() == DenoiseSession.Mode.FULL ? StepMode.FULL : StepMode.SHALLOW)
                .setCacheHit(r.cacheHit()).setRunMs(r.runMs()).setServerMs(r.serverMs()).build();
    }

    static DescribeResponse describe(UnetStage.Description d) {
        return DescribeResponse.newBuilder().setCacheTensor(d.cacheTensor()).setFullMacs(d.fullMacs())
                .setShallowMacs(d.shallowMacs()).setExecutionProvider(d.executionProvider())
                .setFullNodes(d.fullNodes()).setShallowNodes(d.shallowNodes()).addAllFullInputs(d.fullInputs())
                .addAllShallowInputs(d.shallowInputs()).setCacheBranches(d.cacheBranches()).build();
    }

    static GetStatusResponse status(DenoiseSessions sessions) {
        GetStatusResponse.Builder out = GetStatusResponse.newBuilder();
        for (DenoiseSessions.Loaded l : sessions.loaded()) {
            out.addLoaded(LoadedUnet.newBuilder().setModel(l.model()).setCacheBranch(l.branch()));
        }
        FeatureStore.Stats st = sessions.store().stats();
        out.setFeatureStore(FeatureStoreStatus.newBuilder().setSessions(st.sessions()).setEntries(st.entries())
                .setBytes(st.bytes()).setMaxBytes(sessions.store().limits().maxBytes()).setHits(st.hits())
                .setMisses(st.misses()).setEvictions(st.evictions()).setExpired(st.expired()));
        return out.build();
    }
}
