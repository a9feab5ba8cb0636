package dev.sdserve.textencoder;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sdserve.runtime.Json;
import dev.sdserve.runtime.SdException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The CLIP BPE tokenizer of Stable Diffusion pipelines, a port of transformers' (tokenizers-backed)
 * {@code CLIPTokenizer} reading a model folder's {@code tokenizer/} files:
 * <ol>
 *   <li>special tokens (BOS, EOS, pad, unk) are cut out of the text as literal strings: from the raw text,
 *       or from the normalized text when the config marks them {@code "normalized": true};</li>
 *   <li>normalizer ({@link ClipText}): NFC, every run of Unicode whitespace to one space, lower-casing (per
 *       code point, no locale and no final-sigma rule, like Rust's {@code char::to_lowercase});</li>
 *   <li>pre-tokenizer ({@link ClipText}): only the matches of the CLIP regex are kept (so spaces vanish);</li>
 *   <li>{@link BytePairEncoder}: byte-level BPE with {@code </w>};</li>
 *   <li>BOS + at most {@code model_max_length - 2} ids + EOS, padded with the pad token.</li>
 * </ol>
 * No ftfy and no HTML unescaping, as in transformers 5. Thread-safe.
 */
public final class ClipTokenizer {
    private static final int DEFAULT_MAX_LENGTH = 77;
    /** Configs of some exports say 1e30 ("no limit"); CLIP's position table is 77 long then. */
    private static final int MAX_SANE_LENGTH = 4096;
    private static final int CACHE_CAPACITY = 20_000;

    private final BytePairEncoder bpe;
    private final int bosId;
    private final int eosId;
    private final int padId;
    private final int maxLength;
    private final List<SpecialToken> rawSpecials;
    private final List<SpecialToken> normalizedSpecials;

    /** A literal text that becomes one id; {@code normalized} says whether it is matched after normalization. */
    record SpecialToken(String content, int id, boolean normalized) {
    }

    ClipTokenizer(BytePairEncoder bpe, Map<String, SpecialToken> specials, int maxLength) {
        this.bpe = bpe;
        this.bosId = specials.get("bos_token").id();
        this.eosId = specials.get("eos_token").id();
        this.padId = specials.get("pad_token").id();
        SdException.require(maxLength >= 2, "tokenizer: model_max_length " + maxLength + " leaves no room for BOS/EOS");
        this.maxLength = maxLength;
        // Longest first, so that one special that is a prefix of another never wins by accident.
        List<SpecialToken> distinct = specials.values().stream().distinct()
                .sorted((a, b) -> b.content().length() - a.content().length()).toList();
        this.rawSpecials = distinct.stream().filter(s -> !s.normalized()).toList();
        this.normalizedSpecials = distinct.stream().filter(SpecialToken::normalized).toList();
    }

    /** Loads {@code vocab.json}, {@code merges.txt}, {@code tokenizer_config.json} and {@code special_tokens_map.json}. */
    public static ClipTokenizer load(Path dir) {
        return TokenizerFiles.load(dir, CACHE_CAPACITY);
    }

    public int maxLength() {
        return maxLength;
    }

    public int padId() {
        return padId;
    }

    public int bosId() {
        return bosId;
    }

    public int eosId() {
        return eosId;
    }

    /** The vocab.json string of an id. */
    public String token(int id) {
        return bpe.token(id);
    }

    /** Tokenizes one prompt: padded ids, kept token strings, the untruncated ids and the truncation count. */
    public Tokenization encode(String text) {
        int[] content = contentIds(text);
        int room = maxLength - 2;
        int kept = Math.min(content.length, room);
        int[] ids = new int[maxLength];
        Arrays.fill(ids, padId);
        ids[0] = bosId;
        System.arraycopy(content, 0, ids, 1, kept);
        ids[kept + 1] = eosId;
        List<String> tokens = new ArrayList<>(kept + 2);
        for (int i = 0; i < kept + 2; i++) tokens.add(bpe.token(ids[i]));
        int[] untruncated = new int[content.length + 2];
        untruncated[0] = bosId;
        System.arraycopy(content, 0, untruncated, 1, content.length);
        untruncated[content.length + 1] = eosId;
        return new Tokenization(ids, List.copyOf(tokens), untruncated, content.length - kept);
    }

    /** The ids of a prompt without BOS/EOS and without truncation. */
    public int[] contentIds(String text) {
        IntBuilder out = new IntBuilder();
        splitSpecials(text, rawSpecials, out, raw -> splitSpecials(ClipText.normalize(raw), normalizedSpecials, out,
                normalized -> encodeWords(normalized, out)));
        return out.toArray();
    }

    /**
     * Cuts {@code text} at each occurrence of a special token (leftmost, then longest, as the tokenizers'
     * added-vocabulary matcher does), sending the pieces between to {@code rest}. Each special's next
     * occurrence is remembered, so a 100 kB prompt full of specials stays linear.
     */
    private static void splitSpecials(String text, List<SpecialToken> specials, IntBuilder out,
            Consumer<String> rest) {
        int[] next = new int[specials.size()];
        Arrays.fill(next, -2); // -2: not searched yet, -1: no further occurrence
        int start = 0;
        while (start < text.length()) {
            int found = -1;
            int at = text.length();
            for (int k = 0; k < specials.size(); k++) {
                if (next[k] == -2 || (next[k] >= 0 && next[k] < start)) next[k] = text.indexOf(specials.get(k).content(), start);
                if (next[k] >= 0 && next[k] < at) {
                    at = next[k];
                    found = k;
                }
            }
            if (at > start) rest.accept(text.substring(start, at));
            if (found < 0) return;
            out.add(specials.get(found).id());
            start = at + specials.get(found).content().length();
        }
    }

    private void encodeWords(String normalized, IntBuilder out) {
        ClipText.forEachWord(normalized, word -> out.addAll(bpe.encode(word)));
    }

    int cacheSize() {
        return bpe.cacheSize();
    }

    /** A growable int array (no boxing on the hot path). */
    private static final class IntBuilder {
        private int[] data = new int[96];
        private int size;

        void add(int v) {
            if (size == data.length) data = Arrays.copyOf(data, size * 2);
            data[size++] = v;
        }

        void addAll(int[] vs) {
            if (size + vs.length > data.length) data = Arrays.copyOf(data, Math.max(size * 2, size + vs.length));
            System.arraycopy(vs, 0, data, size, vs.length);
            size += vs.length;
        }

        int[] toArray() {
            return Arrays.copyOf(data, size);
        }
    }

    /** Reading the tokenizer folder. */
    static final class TokenizerFiles {
        private static final String[] SPECIAL_KEYS = {"bos_token", "eos_token", "pad_token", "unk_token"};
        private static final Map<String, String> DEFAULTS = Map.of("bos_token", "<|startoftext|>",
                "eos_token", "<|endoftext|>", "pad_token", "<|endoftext|>", "unk_token", "<|endoftext|>");

        private TokenizerFiles() {
        }

        static ClipTokenizer load(Path dir, int cacheCapacity) {
            Map<String, Integer> vocab = readVocab(dir.resolve("vocab.json"));
            BytePairEncoder bpe = new BytePairEncoder(vocab, readMerges(dir.resolve("merges.txt")), cacheCapacity);
            JsonNode config = optional(dir.resolve("tokenizer_config.json"));
            JsonNode map = optional(dir.resolve("special_tokens_map.json"));
            Map<String, SpecialToken> specials = new HashMap<>();
            for (String key : SPECIAL_KEYS) {
                // tokenizer_config.json is what from_pretrained applies last, so it wins over the map.
                JsonNode node = config.hasNonNull(key) ? config.get(key) : map.get(key);
                String content = node == null || node.isNull() ? DEFAULTS.get(key)
                        : node.isTextual() ? node.asText() : node.path("content").asText(DEFAULTS.get(key));
                boolean normalized = node != null && node.isObject() && node.path("normalized").asBoolean(false);
                Integer id = vocab.get(content);
                if (id == null) {
                    throw new SdException(SdException.Kind.FAILED_PRECONDITION,
                            "tokenizer " + dir + ": " + key + " '" + content + "' is not in vocab.json");
                }
                specials.put(key, new SpecialToken(content, id, normalized));
            }
            return new ClipTokenizer(bpe, specials, maxLength(config));
        }

        private static int maxLength(JsonNode config) {
            double declared = Json.number(config.get("model_max_length"), DEFAULT_MAX_LENGTH);
            return declared >= 2 && declared <= MAX_SANE_LENGTH ? (int) declared : DEFAULT_MAX_LENGTH;
        }

        private static Map<String, Integer> readVocab(Path file) {
            JsonNode json = Json.read(file);
            Map<String, Integer> vocab = new HashMap<>(json.size() * 2);
            json.fields().forEachRemaining(e -> vocab.put(e.getKey(), e.getValue().asInt()));
            return vocab;
        }

        /** merges.txt without its "#version" header line and without blank lines. */
        private static List<String> readMerges(Path file) {
            try {
                List<String> lines = new ArrayList<>(Files.readAllLines(file, StandardCharsets.UTF_8));
                if (!lines.isEmpty() && lines.get(0).startsWith("#version")) lines.remove(0);
                lines.removeIf(String::isEmpty);
                return lines;
            } catch (IOException e) {
                throw new SdException(SdException.Kind.FAILED_PRECONDITION, "cannot read " + file + ": " + e, e);
            }
        }

        private static JsonNode optional(Path file) {
            return Files.isRegularFile(file) ? Json.read(file) : Json.MAPPER.createObjectNode();
        }
    }
}
