package dev.sdserve.forge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sdserve.runtime.Json;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The forged tokenizer files follow CLIP's layout and its merges really build words. */
class ClipVocabularyTest {
    @TempDir
    Path tmp;

    @Test
    void filesFollowClipsLayout() throws Exception {
        ClipVocabulary v = ClipVocabulary.forge();
        v.write(tmp, "!");
        JsonNode vocab = Json.read(tmp.resolve("vocab.json"));
        List<String> merges = Files.readAllLines(tmp.resolve("merges.txt"));
        assertEquals("#version: 0.2", merges.get(0));
        assertEquals(v.size(), vocab.size());
        assertEquals(0, vocab.path("!").asInt());
        assertEquals(256, vocab.path("!</w>").asInt());
        assertEquals(List.of("a", "b", "z", "a</w>"),
                List.of(v.tokens().get(64), v.tokens().get(65), v.tokens().get(89), v.tokens().get(256 + 64)));
        for (int i = 1; i < merges.size(); i++) {
            assertEquals(511 + i, vocab.path(merges.get(i).replace(" ", "")).asInt(), merges.get(i));
        }
        assertEquals(v.size() - 2, vocab.path("<|startoftext|>").asInt());
        assertEquals(v.size() - 1, vocab.path("<|endoftext|>").asInt());
        assertTrue(merges.size() > 300, "a few hundred merges: " + merges.size());
        JsonNode config = Json.read(tmp.resolve("tokenizer_config.json"));
        assertEquals("!", config.path("pad_token").asText());
        assertEquals(77, config.path("model_max_length").asInt());
    }

    @Test
    void commonPromptWordsBecomeSingleTokens() {
        ClipVocabulary v = ClipVocabulary.forge();
        Map<String, Integer> rank = new HashMap<>();
        for (int i = 0; i < v.merges().size(); i++) rank.put(v.merges().get(i), i);
        for (String word : List.of("photo", "astronaut", "riding", "horse", "mars", "cyberpunk", "the")) {
            assertEquals(List.of(word + "</w>"), bpe(word, rank), word);
        }
        assertTrue(bpe("zyzzyva", rank).size() > 1, "unknown words fall back to pieces");
    }

    /** CLIP's BPE on one word: repeatedly merge the adjacent pair of lowest rank. */
    private static List<String> bpe(String word, Map<String, Integer> rank) {
        List<String> s = new ArrayList<>();
        for (int i = 0; i < word.length(); i++) s.add(word.charAt(i) + (i == word.length() - 1 ? "</w>" : ""));
        while (true) {
            int best = -1;
            for (int i = 0; i + 1 < s.size(); i++) {
                Integer r = rank.get(s.get(i) + " " + s.get(i + 1));
                if (r != null && (best < 0 || r < rank.get(s.get(best) + " " + s.get(best + 1)))) best = i;
            }
            if (best < 0) return s;
            s.set(best, s.get(best) + s.remove(best + 1));
        }
    }
}
