package dev.sdserve.runtime;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Test helper: broken copies of the tiny model in a scratch models root, for the bad-input tests of every
 * service. A copy links each part of {@link SharedFixtures#tinyModel()} (nothing is written under ../shared)
 * except the parts it leaves out or corrupts. Names used by the tests:
 * <ul>
 *   <li>{@link #NO_TOKENIZER}, {@link #NO_TEXT_ENCODER}, {@link #NO_UNET}, {@link #NO_VAE_DECODER},
 *   {@link #NO_VAE_ENCODER}: that folder is missing;</li>
 *   <li>{@link #CORRUPT_TEXT_ENCODER}, {@link #CORRUPT_UNET}, {@link #CORRUPT_VAE_DECODER}: its
 *   {@code model.onnx} is garbage bytes (its config.json is kept).</li>
 * </ul>
 */
public final class BrokenModels {
    public static final String NO_TOKENIZER = "no-tokenizer";
    public static final String NO_TEXT_ENCODER = "no-text-encoder";
    public static final String NO_UNET = "no-unet";
    public static final String NO_VAE_DECODER = "no-vae-decoder";
    public static final String NO_VAE_ENCODER = "no-vae-encoder";
    public static final String CORRUPT_TEXT_ENCODER = "corrupt-text-encoder";
    public static final String CORRUPT_UNET = "corrupt-unet";
    public static final String CORRUPT_VAE_DECODER = "corrupt-vae-decoder";
    /** What a corrupt model.onnx holds: not a protobuf ONNX Runtime can parse. */
    public static final byte[] GARBAGE = "this is not an ONNX model \u0000\u00ff\u00fe garbage".repeat(64)
            .getBytes(StandardCharsets.ISO_8859_1);

    private BrokenModels() {
    }

    /**
     * Fills {@code root} with the tiny model (linked, as {@code tiny-sd15}) and every broken variant above;
     * returns {@code root}. Idempotent: existing entries are kept.
     */
    public static Path createAll(Path root) {
        link(root.resolve("tiny-sd15"), SharedFixtures.tinyModel());
        without(root, NO_TOKENIZER, "tokenizer");
        without(root, NO_TEXT_ENCODER, "text_encoder");
        without(root, NO_UNET, "unet");
        without(root, NO_VAE_DECODER, "vae_decoder");
        without(root, NO_VAE_ENCODER, "vae_encoder");
        corrupt(root, CORRUPT_TEXT_ENCODER, "text_encoder");
        corrupt(root, CORRUPT_UNET, "unet");
        corrupt(root, CORRUPT_VAE_DECODER, "vae_decoder");
        return root;
    }

    /** {@code root/name}: the tiny model's entries linked, except {@code missing}. */
    public static Path without(Path root, String name, String... missing) {
        Path dir = root.resolve(name);
        Set<String> skip = Set.of(missing);
        for (Path part : entries(SharedFixtures.tinyModel())) {
            if (!skip.contains(part.getFileName().toString())) link(dir.resolve(part.getFileName()), part);
        }
        return dir;
    }

    /** {@code root/name}: the tiny model with {@code part/model.onnx} replaced by garbage bytes. */
    public static Path corrupt(Path root, String name, String part) {
        Path dir = without(root, name, part);
        Path partDir = dir.resolve(part);
        try {
            Files.createDirectories(partDir);
            for (Path f : entries(SharedFixtures.tinyModel().resolve(part))) {
                if (!f.getFileName().toString().equals("model.onnx")) link(partDir.resolve(f.getFileName()), f);
            }
            Files.write(partDir.resolve("model.onnx"), GARBAGE);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return dir;
    }

    private static List<Path> entries(Path dir) {
        try (Stream<Path> s = Files.list(dir)) {
            return s.sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void link(Path link, Path target) {
        try {
            Files.createDirectories(link.getParent());
            if (!Files.exists(link, java.nio.file.LinkOption.NOFOLLOW_LINKS)) Files.createSymbolicLink(link, target);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot link " + link + " -> " + target, e);
        }
    }
}
