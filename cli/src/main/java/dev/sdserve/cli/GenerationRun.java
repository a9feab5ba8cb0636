package dev.sdserve.cli;

import dev.sdserve.proto.v1.GenerateRequest;
import dev.sdserve.proto.v1.GenerateResult;
import dev.sdserve.proto.v1.GeneratedImage;
import dev.sdserve.proto.v1.Preview;
import dev.sdserve.proto.v1.StepProgress;
import dev.sdserve.runtime.FloatTensor;
import dev.sdserve.runtime.Png;
import dev.sdserve.runtime.SdException;
import dev.sdserve.runtime.TensorCodec;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * What txt2image and image2image do once their request is built: stream the generation with progress,
 * then write the image grid (with its {@code parameters} text chunk), the latents and the profile. As in
 * mlx-examples, the CLI owns the grid; the server returns one PNG per image.
 */
final class GenerationRun {
    /** The PNG text keyword other SD tools read the generation parameters from. */
    static final String PARAMETERS = "parameters";
    private static final long MAX_PIXELS = 1L << 28;

    private final GenerationOptions options;
    private final Endpoint endpoint;
    private final PrintWriter out;
    private final PrintWriter err;

    GenerationRun(GenerationOptions options, Endpoint endpoint, PrintWriter out, PrintWriter err) {
        this.options = options;
        this.endpoint = endpoint;
        this.out = out;
        this.err = err;
    }

    int run(GenerateRequest request) throws InterruptedException, IOException {
        if (request.hasSeed()) out.println("Seed: " + request.getSeed());
        ProgressReporter progress = new ProgressReporter(err, System.console() != null, options.verbose);
        GenerationClient.Outcome outcome = new GenerationClient(endpoint, err).generate(request, new GenerationClient.Listener() {
            @Override
            public void onProgress(StepProgress p) {
                progress.onProgress(p);
            }

            @Override
            public void onPreview(Preview p) {
                write(options.previewPath(), p.getPng().toByteArray());
            }
        });
        GenerateResult result = outcome.result();
        result.getNotesList().forEach(n -> out.println("Note: " + n));
        write(options.output, gridPng(result, options.nRows));
        out.println("Saved " + options.output + " (" + result.getImagesCount() + " image"
                + (result.getImagesCount() == 1 ? "" : "s") + ")");
        if (options.saveLatents != null) {
            Npy.write(options.saveLatents, latents(result));
            out.println("Saved latents to " + options.saveLatents);
        }
        if (options.profile) out.print(ProfileTable.format(outcome.timings()));
        out.flush();
        return 0;
    }

    /** The images laid out by {@link ImageGrid}, as a PNG carrying the generation's parameters text. */
    static byte[] gridPng(GenerateResult result, int nRows) {
        SdException.require(result.getImagesCount() > 0, "the orchestrator returned no images");
        List<Png.Rgb> tiles = new ArrayList<>();
        for (GeneratedImage img : result.getImagesList()) {
            tiles.add(Png.decode(img.getPng().toByteArray(), "result.images.png", MAX_PIXELS));
        }
        return Png.encode(ImageGrid.compose(tiles, nRows), Map.of(PARAMETERS, parameters(result)));
    }

    /** The server's parameters text; older servers only put it in each image's own PNG. */
    static String parameters(GenerateResult result) {
        if (!result.getParameters().isEmpty()) return result.getParameters();
        return Png.readText(result.getImages(0).getPng().toByteArray()).getOrDefault(PARAMETERS, "");
    }

    /** The final latents of every image, stacked to [n_images, 4, h, w]. */
    static FloatTensor latents(GenerateResult result) {
        List<FloatTensor> parts = new ArrayList<>();
        for (int i = 0; i < result.getImagesCount(); i++) {
            GeneratedImage img = result.getImages(i);
            SdException.require(img.hasLatents(), "the orchestrator returned no latents for image " + i);
            parts.add(TensorCodec.fromProto(img.getLatents(), "result.images[" + i + "].latents"));
        }
        return FloatTensor.concat0(parts);
    }

    private static void write(Path file, byte[] bytes) {
        try {
            Path parent = file.toAbsolutePath().getParent();
            if (parent != null) Files.createDirectories(parent);
            Files.write(file, bytes);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }
}
