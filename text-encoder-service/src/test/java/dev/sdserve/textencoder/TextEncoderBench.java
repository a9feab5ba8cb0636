package dev.sdserve.textencoder;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sdserve.runtime.ModelRoots;
import dev.sdserve.runtime.RuntimeOptions;
import dev.sdserve.runtime.SharedFixtures;
import java.util.Collections;
import java.util.List;

/**
 * Timing of the tokenizer and the tiny text encoder, in-process (not a test: it asserts nothing). Run with the
 * test classpath: {@code java -cp <test classpath> dev.sdserve.textencoder.TextEncoderBench}.
 */
public final class TextEncoderBench {
    /** Thread CPU time, so a busy shared host inflates the numbers less than wall time does. */
    private static final java.lang.management.ThreadMXBean THREADS = java.lang.management.ManagementFactory.getThreadMXBean();

    private TextEncoderBench() {
    }

    public static void main(String[] args) {
        ClipTokenizer tokenizer = ClipTokenizer.load(SharedFixtures.tinyModel().resolve("tokenizer"));
        String prompt77 = null;
        for (JsonNode c : SharedFixtures.json(SharedFixtures.fixtures().resolve("tokenizer/tokenizer_cases.json")).get("cases")) {
            if (c.get("num_tokens_untruncated").asInt() == 79) prompt77 = c.get("text").asText();
        }
        System.out.printf("prompt: %d chars -> %d tokens (77 kept)%n", prompt77.length(),
                tokenizer.encode(prompt77).untruncated().length);
        long cpu0 = THREADS.getCurrentThreadCpuTime();
        double wall = tokenizeMicros(tokenizer, prompt77, 200_000);
        System.out.printf("tokenize, warm cache: %.2f us/prompt wall, %.2f us/prompt thread CPU%n", wall,
                (THREADS.getCurrentThreadCpuTime() - cpu0) / 1e3 / 400_000);
        ClipTokenizer cold = ClipTokenizer.load(SharedFixtures.tinyModel().resolve("tokenizer"));
        long t0 = System.nanoTime();
        cold.encode(prompt77);
        System.out.printf("tokenize, first call on a fresh tokenizer (cold cache, cold JIT): %.1f us%n",
                (System.nanoTime() - t0) / 1e3);
        String huge = "astronaut on a horse, ".repeat(100_000 / 22 + 1);
        System.out.printf("tokenize a 100 kB prompt: %.2f ms%n", tokenizeMicros(tokenizer, huge, 50) / 1e3);

        // One intra-op thread: ORT then computes on the calling thread, so its CPU time is the model's cost.
        RuntimeOptions oneThread = new RuntimeOptions(RuntimeOptions.defaults().executionProvider(), 1, "all");
        try (TextEncoderStage stage = TextEncoderStage.open(new ModelRoots(List.of(SharedFixtures.modelsRoot()), "")
                .resolve("tiny-sd15"), oneThread, new TextEncoderStage.Limits(16, 1 << 20))) {
            for (String id : new String[] {"pndm_p1_dc1", "pndm_p2_dc1"}) {
                java.nio.file.Path dir = SharedFixtures.fixtures().resolve("cases").resolve(id);
                String p = SharedFixtures.json(dir.resolve("case.json")).get("prompt").asText();
                float diff = stage.encode(List.of("", p)).lastHiddenState().slice0(1, 2)
                        .maxAbsDiff(SharedFixtures.tensor(dir.resolve("prompt_embeds.f32")));
                System.out.printf("%s prompt_embeds max abs diff vs torch: %.2e%n", id, diff);
            }
            for (int batch : new int[] {1, 2, 16}) {
                List<String> prompts = Collections.nCopies(batch, prompt77);
                for (int i = 0; i < 50; i++) stage.encode(prompts);
                int reps = 400 / batch;
                long s = System.nanoTime();
                long c = THREADS.getCurrentThreadCpuTime();
                for (int i = 0; i < reps; i++) stage.encode(prompts);
                double perCall = (System.nanoTime() - s) / 1e6 / reps;
                double cpuPerCall = (THREADS.getCurrentThreadCpuTime() - c) / 1e6 / reps;
                System.out.printf("encode batch %2d (1 ORT thread): %.3f ms/prompt wall, %.3f ms/prompt thread CPU%n",
                        batch, perCall / batch, cpuPerCall / batch);
            }
        }
    }

    private static double tokenizeMicros(ClipTokenizer tokenizer, String prompt, int reps) {
        long sink = 0;
        for (int i = 0; i < reps; i++) sink += tokenizer.encode(prompt).ids()[1];
        long s = System.nanoTime();
        for (int i = 0; i < reps; i++) sink += tokenizer.encode(prompt).ids()[1];
        double us = (System.nanoTime() - s) / 1e3 / reps;
        if (sink == 42) System.out.print("");
        return us;
    }
}
