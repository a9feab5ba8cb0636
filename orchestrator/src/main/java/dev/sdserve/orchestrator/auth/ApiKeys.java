package dev.sdserve.orchestrator.auth;

import dev.sdserve.runtime.SdException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;

/**
 * The public API's keys ({@code sd.orchestrator.api-keys}, {@code sd.orchestrator.api-keys-file}). Only SHA-256
 * digests are kept; a presented key is hashed and compared in constant time. A key is known to logs, metrics and
 * the per-key limits only by its id: the first 12 hex digits of its digest. Keys themselves are never logged.
 */
public final class ApiKeys {
    /** The scheme of the {@code authorization} header: {@code Bearer <key>} (RFC 6750). */
    public static final String BEARER = "Bearer ";

    private final List<byte[]> digests;

    private ApiKeys(List<byte[]> digests) {
        this.digests = digests;
    }

    /** No keys: the API is open (as before keys existed). */
    public static ApiKeys none() {
        return new ApiKeys(List.of());
    }

    public static ApiKeys of(Collection<String> keys) {
        List<byte[]> d = new ArrayList<>();
        for (String k : keys) {
            String key = k.strip();
            if (key.isEmpty() || key.startsWith("#")) continue;
            SdException.require(key.chars().allMatch(c -> c > 0x20 && c < 0x7f),
                    "sd.orchestrator.api-keys: a key must be printable ASCII without spaces");
            d.add(sha256(key));
        }
        return new ApiKeys(List.copyOf(d));
    }

    /**
     * Keys from the comma-separated {@code inline} value and the {@code file} (one key per line, # comments).
     * Neither set: {@link #none()}.
     */
    public static ApiKeys load(Optional<String> inline, Optional<String> file) {
        List<String> keys = new ArrayList<>();
        inline.ifPresent(s -> keys.addAll(List.of(s.split(","))));
        if (file.isPresent() && !file.get().isBlank()) {
            Path p = Path.of(file.get().strip());
            try {
                keys.addAll(Files.readAllLines(p, StandardCharsets.UTF_8));
            } catch (IOException e) {
                throw new IllegalStateException("sd.orchestrator.api-keys-file: cannot read " + p + ": " + e, e);
            }
            if (keys.stream().allMatch(k -> k.isBlank() || k.strip().startsWith("#"))) {
                throw new IllegalStateException("sd.orchestrator.api-keys-file: " + p + " holds no key");
            }
        }
        return of(keys);
    }

    public boolean enabled() {
        return !digests.isEmpty();
    }

    public int size() {
        return digests.size();
    }

    /** The key's id when {@code authorization} is {@code Bearer <a known key>}; empty otherwise. */
    public Optional<String> identify(String authorization) {
        if (authorization == null || !authorization.regionMatches(true, 0, BEARER, 0, BEARER.length())) {
            return Optional.empty();
        }
        byte[] presented = sha256(authorization.substring(BEARER.length()).strip());
        boolean found = false;
        for (byte[] d : digests) found |= MessageDigest.isEqual(d, presented); // no early exit
        return found ? Optional.of(HexFormat.of().formatHex(presented, 0, 6)) : Optional.empty();
    }

    private static byte[] sha256(String key) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
