package dev.sdserve.textencoder;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sdserve.runtime.SharedFixtures;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The tokenizer against transformers' CLIPTokenizer output in ../shared/fixtures/tiny-sd15/tokenizer. */
class ClipTokenizerTest {
    private static ClipTokenizer tokenizer;

    @BeforeAll
    static void load() {
        SharedFixtures.assume();
        tokenizer = ClipTokenizer.load(SharedFixtures.tinyModel().resolve("tokenizer"));
    }

    static Stream<Arguments> cases() {
        SharedFixtures.assume();
        JsonNode cases = SharedFixtures.json(SharedFixtures.fixtures().resolve("tokenizer/tokenizer_cases.json")).get("cases");
        List<Arguments> out = new ArrayList<>();
        for (int i = 0; i < cases.size(); i++) {
            JsonNode c = cases.get(i);
            String label = c.get("text").asText();
            out.add(Arguments.of(i, label.length() > 40 ? label.substring(0, 40) + "…" : label, c));
        }
        return out.stream();
    }

    @ParameterizedTest(name = "[{0}] {1}")
    @MethodSource("cases")
    void matchesTransformers(int index, String label, JsonNode c) {
        // The hex is the exact UTF-8 the reference saw (JSON escapes could hide e.g. a lone \r).
        String text = new String(HexFormat.of().parseHex(c.get("text_utf8_hex").asText()), StandardCharsets.UTF_8);
        Tokenization t = tokenizer.encode(text);

        assertArrayEquals(ints(c.get("input_ids_padded77")), t.ids(), "input_ids_padded77");
        assertArrayEquals(ints(c.get("input_ids_untruncated")), t.untruncated(), "input_ids_untruncated");
        List<String> untruncatedTokens = new ArrayList<>();
        for (int id : t.untruncated()) untruncatedTokens.add(tokenizer.token(id));
        assertEquals(strings(c.get("tokens_untruncated")), untruncatedTokens, "tokens_untruncated");

        int total = c.get("num_tokens_untruncated").asInt();
        assertEquals(Math.max(0, total - 77), t.dropped(), "dropped");
        assertEquals(total > 77, t.truncated(), "truncated");
        assertEquals(Math.min(total, 77), t.tokens().size(), "kept tokens");
        List<String> kept = new ArrayList<>(untruncatedTokens.subList(0, Math.min(total - 1, 76)));
        kept.add("<|endoftext|>");
        assertEquals(kept, t.tokens(), "kept tokens = BOS + at most 75 + EOS");
    }

    @Test
    void readsSpecialIdsAndLengthFromTheFiles() {
        assertEquals(49406, tokenizer.bosId());
        assertEquals(49407, tokenizer.eosId());
        assertEquals(49407, tokenizer.padId());
        assertEquals(77, tokenizer.maxLength());
    }

    /** SD 2.x and SDXL's second tokenizer pad with "!" (id 0); it is then also a special literal (diffusers #4153). */
    @Test
    void sd2StylePadTokenComesFromTheConfig(@TempDir Path dir) throws IOException {
        Path src = SharedFixtures.tinyModel().resolve("tokenizer");
        Files.copy(src.resolve("vocab.json"), dir.resolve("vocab.json"));
        Files.copy(src.resolve("merges.txt"), dir.resolve("merges.txt"));
        Files.writeString(dir.resolve("tokenizer_config.json"),
                "{\"model_max_length\": 77, \"pad_token\": \"!\", \"bos_token\": {\"content\": \"<|startoftext|>\", \"normalized\": true}}");
        ClipTokenizer sd2 = ClipTokenizer.load(dir);
        assertEquals(0, sd2.padId());
        Tokenization t = sd2.encode("a! <|STARTOFTEXT|>");
        // "!" is cut out as the special id 0 (not "!</w>" = 256); the normalized BOS matches after lower-casing.
        assertArrayEquals(new int[] {49406, 320, 0, 49406, 49407, 0}, Arrays.copyOf(t.ids(), 6));
        assertEquals(0, t.ids()[76]);
        // With the SD 1.5 files the same text has "!</w>" and no special match for the upper-case literal.
        int[] sd15 = tokenizer.contentIds("a!");
        assertArrayEquals(new int[] {320, 256}, sd15);
    }

    @Test
    void whitespaceOnlyAndEmptyPromptsAreBosEos() {
        for (String s : new String[] {"", " ", "\t\n\u00a0\u3000"}) {
            Tokenization t = tokenizer.encode(s);
            assertEquals(List.of("<|startoftext|>", "<|endoftext|>"), t.tokens(), "for " + s.codePoints().boxed().toList());
            assertEquals(49407, t.ids()[2]);
        }
    }

    @Test
    void hugePromptIsTruncatedWithTheDroppedCount() {
        String word = "astronaut ";
        String text = word.repeat(100_000 / word.length()); // 100 kB
        Tokenization t = tokenizer.encode(text);
        assertEquals(77, t.ids().length);
        assertTrue(t.truncated());
        assertEquals(10_000 - 75, t.dropped());
        assertEquals(49407, t.ids()[76]);
        // One 100 kB "word" goes through the BPE in one piece; it must stay fast and exact in count.
        Tokenization oneWord = tokenizer.encode("a".repeat(100_000));
        assertTrue(oneWord.truncated());
        assertEquals(oneWord.untruncated().length - 77, oneWord.dropped());
        // 100 kB of one special literal (the other never occurs): each literal is one id.
        Tokenization specials = tokenizer.encode("<|startoftext|>".repeat(100_000 / 15));
        assertEquals(100_000 / 15 - 75, specials.dropped());
        assertEquals(49406, specials.ids()[75]);
    }

    @Test
    void cacheIsBoundedAndConcurrentUseGivesTheSameIds() throws Exception {
        List<String> prompts = new ArrayList<>();
        for (int i = 0; i < 400; i++) prompts.add("prompt " + i + " with word" + Integer.toString(i * 7919, 36) + " and café " + i);
        List<int[]> expected = prompts.stream().map(tokenizer::contentIds).toList();
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<Boolean>> results = new ArrayList<>();
            for (int r = 0; r < 8; r++) {
                int offset = r;
                results.add(pool.submit(() -> {
                    for (int k = 0; k < prompts.size(); k++) {
                        int i = (k * 31 + offset) % prompts.size();
                        if (!Arrays.equals(expected.get(i), tokenizer.contentIds(prompts.get(i)))) return false;
                    }
                    return true;
                }));
            }
            for (Future<Boolean> f : results) assertTrue(f.get());
        } finally {
            pool.shutdownNow();
        }
        assertTrue(tokenizer.cacheSize() <= 20_000);
    }

    private static int[] ints(JsonNode array) {
        int[] out = new int[array.size()];
        for (int i = 0; i < out.length; i++) out[i] = array.get(i).asInt();
        return out;
    }

    private static List<String> strings(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asText()));
        return out;
    }
}
