package dev.sdserve.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sdserve.proto.v1.TextEncoderGrpc;
import dev.sdserve.proto.v1.TokenizeRequest;
import dev.sdserve.proto.v1.TokenizedPrompt;
import dev.sdserve.runtime.Json;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code sd tokenize PROMPT}: the CLIP tokenization text-encoder-service applies, as one JSON object
 * {@code {"ids": [77 padded ids], "tokens": [...], "truncated": bool, "dropped": n}} on stdout.
 */
@Command(name = "tokenize", mixinStandardHelpOptions = true,
        description = "Print a prompt's CLIP token ids and tokens as JSON (through text-encoder-service).")
final class TokenizeCommand implements Callable<Integer> {
    /** Generous: the first call loads the model's tokenizer. */
    private static final long DEADLINE_S = 120;

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "PROMPT", description = "The prompt (may be empty).")
    String prompt;

    @Option(names = "--model", defaultValue = "", paramLabel = "NAME",
            description = "Model folder name (default: the embedded default model).")
    String model;

    @Option(names = "--text-encoder", paramLabel = "HOST:PORT",
            description = "text-encoder-service address (default: $" + Endpoint.TEXT_ENCODER_ENV + ", else localhost:50052).")
    String textEncoder;

    @Override
    public Integer call() throws Exception {
        Endpoint endpoint = Endpoint.textEncoder(textEncoder);
        ManagedChannel channel = endpoint.open();
        try {
            endpoint.awaitServing(channel);
            TokenizedPrompt t = TextEncoderGrpc.newBlockingStub(channel).withDeadlineAfter(DEADLINE_S, TimeUnit.SECONDS)
                    .tokenize(TokenizeRequest.newBuilder().setModel(model).addPrompts(prompt).build())
                    .getPrompts(0);
            spec.commandLine().getOut().println(Json.MAPPER.writeValueAsString(toJson(t)));
            return 0;
        } catch (StatusRuntimeException e) {
            throw endpoint.explain(e);
        } finally {
            channel.shutdownNow();
        }
    }

    static ObjectNode toJson(TokenizedPrompt t) {
        ObjectNode o = Json.MAPPER.createObjectNode();
        t.getIdsList().forEach(o.putArray("ids")::add);
        t.getTokensList().forEach(o.putArray("tokens")::add);
        o.put("truncated", t.getTruncated());
        o.put("dropped", t.getDropped());
        return o;
    }
}
