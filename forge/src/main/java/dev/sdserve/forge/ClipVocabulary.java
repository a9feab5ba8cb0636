package dev.sdserve.forge;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sdserve.runtime.Json;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A small self-made vocabulary in OpenAI CLIP's format. The ids are laid out as CLIP's {@code simple_tokenizer}
 * lays them out: the 256 {@code bytes_to_unicode} characters (so {@code !} = 0), the same followed by
 * {@code </w>}, one token per merge, then {@code <|startoftext|>} and {@code <|endoftext|>}. The merges are learnt
 * by byte-pair encoding on a few hundred common English and prompt words (words.txt), so frequent words become
 * single tokens. It is deterministic: every forge writes the same files.
 */
final class ClipVocabulary {
    static final String BOS = "<|startoftext|>";
    static final String EOS = "<|endoftext|>";
    static final String END_OF_WORD = "</w>";
    static final int MAX_MERGES = 800;

    private final List<String> tokens;
    private final List<String> merges;

    private ClipVocabulary(List<String> tokens, List<String> merges) {
        this.tokens = tokens;
        this.merges = merges;
    }

    /** The forged vocabulary; immutable, so it is learnt once per JVM. */
    static ClipVocabulary forge() {
        return Holder.VOCABULARY;
    }

    private static final class Holder {
        static final ClipVocabulary VOCABULARY = learn();
    }

    private static ClipVocabulary learn() {
        List<String> bytes = bytesToUnicode();
        List<String> tokens = new ArrayList<>(bytes);
        bytes.forEach(b -> tokens.add(b + END_OF_WORD));
        List<String> merges = learnMerges(words(), new HashSet<>(tokens));
        merges.forEach(m -> tokens.add(m.replace(" ", "")));
        tokens.add(BOS);
        tokens.add(EOS);
        return new ClipVocabulary(List.copyOf(tokens), List.copyOf(merges));
    }

    List<String> tokens() {
        return tokens;
    }

    /** Merges as "left right" lines, best rank first. */
    List<String> merges() {
        return merges;
    }

    int size() {
        return tokens.size();
    }

    int bosId() {
        return tokens.size() - 2;
    }

    int eosId() {
        return tokens.size() - 1;
    }

    /** Writes vocab.json, merges.txt, special_tokens_map.json and tokenizer_config.json into {@code dir}. */
    void write(Path dir, String padToken) throws IOException {
        Files.createDirectories(dir);
        ObjectNode vocab = Json.MAPPER.createObjectNode();
        for (int id = 0; id < tokens.size(); id++) vocab.put(tokens.get(id), id);
        Files.writeString(dir.resolve("vocab.json"), Json.MAPPER.writeValueAsString(vocab));
        Files.writeString(dir.resolve("merges.txt"), "#version: 0.2\n" + String.join("\n", merges) + "\n");
        ObjectNode special = Json.MAPPER.createObjectNode();
        special.put("bos_token", BOS).put("eos_token", EOS).put("pad_token", padToken).put("unk_token", EOS);
        ConfigFiles.writeJson(dir.resolve("special_tokens_map.json"), special);
        ObjectNode config = special.deepCopy();
        config.put("add_prefix_space", false).put("do_lower_case", true).put("errors", "replace")
                .put("model_max_length", ModelDims.Text.MAX_POSITIONS).put("tokenizer_class", "CLIPTokenizer");
        ConfigFiles.writeJson(dir.resolve("tokenizer_config.json"), config);
    }

    /** CLIP's bytes_to_unicode, in its order: printable Latin-1 bytes first, then the rest mapped above 255. */
    static List<String> bytesToUnicode() {
        List<Integer> bs = new ArrayList<>();
        for (int b = '!'; b <= '~'; b++) bs.add(b);
        for (int b = 0xA1; b <= 0xAC; b++) bs.add(b);
        for (int b = 0xAE; b <= 0xFF; b++) bs.add(b);
        List<String> chars = new ArrayList<>();
        bs.forEach(b -> chars.add(Character.toString(b)));
        int n = 0;
        for (int b = 0; b < 256; b++) {
            if (!bs.contains(b)) chars.add(Character.toString(256 + n++));
        }
        return chars;
    }

    /**
     * Byte-pair encoding training: repeatedly merge the most frequent adjacent pair (ties broken by the pair's
     * text), weighting words by their rank in the list. A pair whose joined text is already a token is skipped so
     * every token keeps one id.
     */
    private static List<String> learnMerges(List<String> words, Set<String> known) {
        List<List<String>> split = new ArrayList<>();
        int[] weight = new int[words.size()];
        for (int i = 0; i < words.size(); i++) {
            split.add(symbols(words.get(i)));
            weight[i] = words.size() - i;
        }
        List<String> merges = new ArrayList<>();
        while (merges.size() < MAX_MERGES) {
            String best = bestPair(split, weight, known);
            if (best == null) break;
            merges.add(best);
            known.add(best.replace(" ", ""));
            int space = best.indexOf(' ');
            split.replaceAll(w -> mergeWord(w, best.substring(0, space), best.substring(space + 1)));
        }
        return merges;
    }

    private static String bestPair(List<List<String>> split, int[] weight, Set<String> known) {
        Map<String, Integer> counts = new HashMap<>();
        for (int i = 0; i < split.size(); i++) {
            List<String> w = split.get(i);
            for (int j = 0; j + 1 < w.size(); j++) {
                if (!known.contains(w.get(j) + w.get(j + 1))) counts.merge(w.get(j) + " " + w.get(j + 1), weight[i], Integer::sum);
            }
        }
        String best = null;
        int bestCount = 0;
        for (Map.Entry<String, Integer> e : counts.entrySet()) {
            int c = e.getValue();
            if (c > bestCount || (c == bestCount && e.getKey().compareTo(best) < 0)) {
                best = e.getKey();
                bestCount = c;
            }
        }
        return best;
    }

    private static List<String> mergeWord(List<String> w, String left, String right) {
        List<String> out = new ArrayList<>(w.size());
        for (int j = 0; j < w.size(); j++) {
            if (j + 1 < w.size() && w.get(j).equals(left) && w.get(j + 1).equals(right)) {
                out.add(left + right);
                j++;
            } else {
                out.add(w.get(j));
            }
        }
        return out;
    }

    /** A lower-case ASCII word as initial symbols; the last carries the end-of-word marker. */
    private static List<String> symbols(String word) {
        List<String> s = new ArrayList<>();
        for (int i = 0; i < word.length(); i++) {
            String c = String.valueOf(word.charAt(i));
            s.add(i == word.length() - 1 ? c + END_OF_WORD : c);
        }
        return s;
    }

    private static List<String> words() {
        try (InputStream in = ClipVocabulary.class.getResourceAsStream("words.txt")) {
            if (in == null) throw new IllegalStateException("words.txt missing from the forge jar");
            BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
            Set<String> words = new LinkedHashSet<>();
            r.lines().map(String::strip).filter(l -> !l.isEmpty() && !l.startsWith("#")).forEach(words::add);
            return new ArrayList<>(words);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
