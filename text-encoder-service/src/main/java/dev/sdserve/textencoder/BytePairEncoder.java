package dev.sdserve.textencoder;

import dev.sdserve.runtime.SdException;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Byte-level BPE with an end-of-word suffix, as the {@code tokenizers} BPE model runs it for CLIP: a word's
 * UTF-8 bytes become {@code bytes_to_unicode} symbols (the last one carrying {@code </w>}), then the
 * lowest-ranked adjacent pair is merged until no pair has a rank; ties go to the leftmost pair.
 *
 * <p>Merging uses a priority queue over a linked list of symbols, so a pathological 100 kB "word" costs
 * O(n log n) instead of the textbook O(n^2). Results are cached per word (bounded), because prompts repeat
 * words. Immutable apart from the concurrent cache, so one instance serves all threads.
 */
final class BytePairEncoder {
    static final String END_OF_WORD = "</w>";
    /** Words longer than this are not cached: they are rare and would let one prompt fill the cache. */
    private static final int MAX_CACHED_WORD_CHARS = 64;

    private final Map<String, Integer> vocab;
    private final String[] tokens;
    /** (left id, right id) packed in a long → (rank, merged id) packed in a long. */
    private final Map<Long, Long> merges;
    private final int[] byteIds = new int[256];
    private final int[] byteEndIds = new int[256];
    private final int cacheCapacity;
    private final ConcurrentHashMap<String, int[]> cache = new ConcurrentHashMap<>();

    /**
     * @param vocab         token string → id (vocab.json)
     * @param mergeLines    "left right" pairs in rank order (merges.txt without its #version header)
     * @param cacheCapacity how many distinct words to remember; when full, new words are not cached
     */
    BytePairEncoder(Map<String, Integer> vocab, List<String> mergeLines, int cacheCapacity) {
        this.vocab = Map.copyOf(vocab);
        this.cacheCapacity = cacheCapacity;
        int maxId = vocab.values().stream().mapToInt(Integer::intValue).max().orElse(-1);
        this.tokens = new String[maxId + 1];
        vocab.forEach((token, id) -> tokens[id] = token);
        this.merges = parseMerges(mergeLines);
        String[] byteChars = bytesToUnicode();
        for (int b = 0; b < 256; b++) {
            byteIds[b] = requireId(byteChars[b], "the byte symbol");
            byteEndIds[b] = requireId(byteChars[b] + END_OF_WORD, "the byte symbol");
        }
    }

    /**
     * GPT-2/CLIP's {@code bytes_to_unicode}: printable Latin-1 bytes map to themselves, the other 68 bytes
     * to U+0100 onwards in byte order, so every byte has a visible, non-space character.
     */
    static String[] bytesToUnicode() {
        String[] out = new String[256];
        int extra = 0;
        for (int b = 0; b < 256; b++) {
            boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            out[b] = String.valueOf((char) (printable ? b : 256 + extra++));
        }
        return out;
    }

    private Map<Long, Long> parseMerges(List<String> lines) {
        Map<Long, Long> out = new HashMap<>(lines.size() * 2);
        for (int rank = 0; rank < lines.size(); rank++) {
            String line = lines.get(rank);
            int space = line.indexOf(' ');
            if (space <= 0 || space == line.length() - 1 || line.indexOf(' ', space + 1) >= 0) {
                throw new SdException(SdException.Kind.FAILED_PRECONDITION,
                        "merges.txt line " + (rank + 2) + ": expected 'left right', got '" + line + "'");
            }
            String left = line.substring(0, space);
            String right = line.substring(space + 1);
            int merged = requireId(left + right, "merge result of line " + (rank + 2));
            long key = pair(requireId(left, "merge line " + (rank + 2)), requireId(right, "merge line " + (rank + 2)));
            out.putIfAbsent(key, ((long) rank << 32) | merged); // the first (lowest) rank of a duplicate wins
        }
        return out;
    }

    private int requireId(String token, String what) {
        Integer id = vocab.get(token);
        if (id == null) {
            throw new SdException(SdException.Kind.FAILED_PRECONDITION,
                    "tokenizer: " + what + " '" + token + "' is not in vocab.json");
        }
        return id;
    }

    /** The id of a token string, or -1. */
    int id(String token) {
        Integer id = vocab.get(token);
        return id == null ? -1 : id;
    }

    /** The token string of an id (its vocab.json key). */
    String token(int id) {
        if (id < 0 || id >= tokens.length || tokens[id] == null) {
            throw SdException.invalid("token id " + id + " is not in the vocabulary");
        }
        return tokens[id];
    }

    int cacheSize() {
        return cache.size();
    }

    /** The ids of one pre-tokenized word (already normalized; no whitespace inside). */
    int[] encode(String word) {
        int[] hit = cache.get(word);
        if (hit != null) return hit;
        int[] ids = merge(word.getBytes(StandardCharsets.UTF_8));
        if (word.length() <= MAX_CACHED_WORD_CHARS && cache.size() < cacheCapacity) cache.putIfAbsent(word, ids);
        return ids;
    }

    private int[] merge(byte[] bytes) {
        int n = bytes.length;
        int[] symbol = new int[n];
        int[] prev = new int[n];
        int[] next = new int[n];
        for (int i = 0; i < n; i++) {
            int b = bytes[i] & 0xFF;
            symbol[i] = i == n - 1 ? byteEndIds[b] : byteIds[b];
            prev[i] = i - 1;
            next[i] = i + 1 < n ? i + 1 : -1;
        }
        // Queue entries are (rank << 32 | position): the lowest rank first, then the leftmost position.
        PriorityQueue<Long> queue = new PriorityQueue<>();
        for (int i = 0; i + 1 < n; i++) offer(queue, symbol, i, i + 1);
        int alive = n;
        while (!queue.isEmpty()) {
            long top = queue.poll();
            int pos = (int) top;
            int right = next[pos];
            // Stale entries: the symbol at pos was absorbed (prev link broken) or its pair has changed.
            if (symbol[pos] < 0 || right < 0) continue;
            Long merge = merges.get(pair(symbol[pos], symbol[right]));
            if (merge == null || (merge >>> 32) != (top >>> 32)) continue;
            symbol[pos] = (int) (long) merge;
            symbol[right] = -1;
            next[pos] = next[right];
            if (next[pos] >= 0) prev[next[pos]] = pos;
            alive--;
            if (prev[pos] >= 0) offer(queue, symbol, prev[pos], pos);
            if (next[pos] >= 0) offer(queue, symbol, pos, next[pos]);
        }
        int[] out = new int[alive];
        for (int i = 0, k = 0; i >= 0 && k < alive; i = next[i]) out[k++] = symbol[i];
        return out;
    }

    private void offer(PriorityQueue<Long> queue, int[] symbol, int left, int right) {
        Long merge = merges.get(pair(symbol[left], symbol[right]));
        if (merge != null) queue.add((merge & 0xFFFF_FFFF_0000_0000L) | left);
    }

    private static long pair(int left, int right) {
        return ((long) left << 32) | (right & 0xFFFF_FFFFL);
    }
}
