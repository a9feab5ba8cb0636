package dev.sdserve.textencoder;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sdserve.proto.v1.EncodeRequest;
import dev.sdserve.proto.v1.EncodeResponse;
import dev.sdserve.proto.v1.TextEncoderGrpc;
import dev.sdserve.proto.v1.TokenizeRequest;
import dev.sdserve.proto.v1.TokenizeResponse;
import dev.sdserve.proto.v1.TokenizedPrompt;
import dev.sdserve.runtime.FloatTensor;
import dev.sdserve.runtime.GrpcProbe;
import dev.sdserve.runtime.SharedFixtures;
import dev.sdserve.runtime.TensorCodec;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.quarkus.test.junit.QuarkusTest;
import java.nio.file.Path;
import java.util.Collections;
import java.util.List;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Tokenize and Encode over real gRPC against the fixtures, and every bad input with its status. */
@QuarkusTest
class TextEncoderGrpcServiceTest {
    private static final String P2 = "Neon-lit Tokyo street at 3:45 a.m., 2077 (cyberpunk); rain & reflections -- 8K, f/1.8!";

    /** This test's gRPC server port: test-port=0, a free port chosen at start. */
    int port = GrpcProbe.serverPort();

    @ConfigProperty(name = "sd.text-encoder.max-batch")
    int maxBatch;

    private ManagedChannel channel;
    private TextEncoderGrpc.TextEncoderBlockingStub stub;

    @BeforeEach
    void connect() {
        SharedFixtures.assume();
        channel = GrpcProbe.channel(port);
        stub = TextEncoderGrpc.newBlockingStub(channel);
    }

    @AfterEach
    void disconnect() {
        if (channel != null) channel.shutdownNow();
    }

    @Test
    void encodeReturnsTheFixtureEmbeddingsInRequestOrder() {
        Path dir = SharedFixtures.fixtures().resolve("cases/pndm_p2_dc1");
        assertEquals(P2, SharedFixtures.json(dir.resolve("case.json")).get("prompt").asText());
        EncodeResponse r = stub.encode(EncodeRequest.newBuilder().setModel("tiny-sd15").addPrompts("").addPrompts(P2).build());

        FloatTensor hidden = TensorCodec.fromProto(r.getLastHiddenState(), "last_hidden_state");
        assertArrayEquals(new long[] {2, 77, 32}, hidden.shape());
        assertTrue(hidden.slice0(0, 1).maxAbsDiff(SharedFixtures.tensor(dir.resolve("negative_embeds.f32"))) <= 2e-5f);
        assertTrue(hidden.slice0(1, 2).maxAbsDiff(SharedFixtures.tensor(dir.resolve("prompt_embeds.f32"))) <= 2e-5f);
        assertArrayEquals(SharedFixtures.i32(dir.resolve("negative_ids.i32")), ids(r.getPrompts(0)));
        assertArrayEquals(SharedFixtures.i32(dir.resolve("prompt_ids.i32")), ids(r.getPrompts(1)));
        assertFalse(r.getPrompts(1).getTruncated());
    }

    /** SDXL: prompt_embeds, pooled and both tokenizations over the wire; prompts_2 to an SD model is refused. */
    @Test
    void sdxlEncodeReturnsPooledAndBothTokenizations() {
        Path dir = SharedFixtures.dir().resolve("fixtures/tiny-sdxl/cases/ddim_p2_dc3");
        EncodeResponse r = stub.encode(EncodeRequest.newBuilder().setModel("tiny-sdxl").addPrompts(P2).build());
        FloatTensor hidden = TensorCodec.fromProto(r.getLastHiddenState(), "last_hidden_state");
        assertTrue(hidden.maxAbsDiff(SharedFixtures.tensor(dir.resolve("prompt_embeds.f32"))) <= 2e-5f);
        FloatTensor pooled = TensorCodec.fromProto(r.getPooled(), "pooled");
        assertTrue(pooled.maxAbsDiff(SharedFixtures.tensor(dir.resolve("pooled_prompt_embeds.f32"))) <= 2e-5f);
        assertArrayEquals(SharedFixtures.i32(dir.resolve("prompt_ids.i32")), ids(r.getPrompts(0)));
        assertArrayEquals(SharedFixtures.i32(dir.resolve("prompt_ids_2.i32")), ids(r.getPrompts2(0)));

        StatusRuntimeException sd = assertThrows(StatusRuntimeException.class, () -> stub.encode(EncodeRequest.newBuilder()
                .setModel("tiny-sd15").addPrompts("a").addPrompts2("b").build()));
        assertEquals(Status.Code.INVALID_ARGUMENT, sd.getStatus().getCode());
        assertTrue(sd.getStatus().getDescription().startsWith("prompts_2:"), sd.getStatus().getDescription());
        EncodeResponse sd15 = stub.encode(EncodeRequest.newBuilder().setModel("tiny-sd15").addPrompts("a").build());
        assertFalse(sd15.hasPooled());
        assertEquals(0, sd15.getPrompts2Count());
    }

    @Test
    void tokenizeGivesIdsTokensAndTruncation() {
        String long79 = null;
        for (JsonNode c : SharedFixtures.json(SharedFixtures.fixtures().resolve("tokenizer/tokenizer_cases.json")).get("cases")) {
            if (c.get("num_tokens_untruncated").asInt() == 79) long79 = c.get("text").asText();
        }
        TokenizeResponse r = stub.tokenize(TokenizeRequest.newBuilder() // empty model = the default model
                .addPrompts("A photo of an astronaut riding a horse on Mars.").addPrompts(long79).build());

        TokenizedPrompt p1 = r.getPrompts(0);
        assertEquals(List.of(49406, 320, 1125, 539, 550, 18376, 6765, 320, 4558, 525, 7496, 269, 49407),
                p1.getIdsList().subList(0, 13));
        assertEquals(77, p1.getIdsCount());
        assertEquals(49407, p1.getIds(76));
        assertEquals(List.of("<|startoftext|>", "a</w>", "photo</w>", "of</w>", "an</w>", "astronaut</w>", "riding</w>",
                "a</w>", "horse</w>", "on</w>", "mars</w>", ".</w>", "<|endoftext|>"), p1.getTokensList());
        assertFalse(p1.getTruncated());
        assertEquals(0, p1.getDropped());

        TokenizedPrompt cut = r.getPrompts(1); // 79 tokens with BOS/EOS: two dropped
        assertTrue(cut.getTruncated());
        assertEquals(2, cut.getDropped());
        assertEquals(77, cut.getTokensCount());
        assertEquals("<|endoftext|>", cut.getTokens(76));
    }

    @Test
    void hundredKilobytePromptIsTruncated() {
        String huge = "astronaut on a horse, ".repeat(100_000 / 22 + 1);
        EncodeResponse r = stub.encode(EncodeRequest.newBuilder().addPrompts(huge).build());
        assertTrue(r.getPrompts(0).getTruncated());
        assertTrue(r.getPrompts(0).getDropped() > 20_000, "dropped " + r.getPrompts(0).getDropped());
        assertTrue(TensorCodec.fromProto(r.getLastHiddenState(), "h").allFinite());
    }

    @Test
    void badInputGetsAStatusNamingTheField() {
        StatusRuntimeException over = assertThrows(StatusRuntimeException.class, () -> stub.encode(
                EncodeRequest.newBuilder().addAllPrompts(Collections.nCopies(maxBatch + 1, "x")).build()));
        assertEquals(Status.Code.INVALID_ARGUMENT, over.getStatus().getCode());
        assertTrue(over.getStatus().getDescription().contains("max-batch"), over.getStatus().getDescription());

        StatusRuntimeException empty = assertThrows(StatusRuntimeException.class,
                () -> stub.tokenize(TokenizeRequest.newBuilder().build()));
        assertEquals(Status.Code.INVALID_ARGUMENT, empty.getStatus().getCode());
        assertTrue(empty.getStatus().getDescription().startsWith("prompts:"));

        StatusRuntimeException unknown = assertThrows(StatusRuntimeException.class, () -> stub.encode(
                EncodeRequest.newBuilder().setModel("no-such-model").addPrompts("x").build()));
        assertEquals(Status.Code.NOT_FOUND, unknown.getStatus().getCode());
        assertTrue(unknown.getStatus().getDescription().contains("no-such-model"));

        // The channel still serves after the errors.
        assertEquals(1, stub.tokenize(TokenizeRequest.newBuilder().addPrompts("").build()).getPromptsCount());
    }

    private static int[] ids(TokenizedPrompt p) {
        return p.getIdsList().stream().mapToInt(Integer::intValue).toArray();
    }
}
