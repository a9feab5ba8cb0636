package dev.sdserve.cli;

import com.google.protobuf.ByteString;
import dev.sdserve.proto.v1.GenerateRequest;
import dev.sdserve.proto.v1.InitImage;
import dev.sdserve.runtime.Png;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code sd image2image IMAGE PROMPT}: mlx-examples' image2image. The output size defaults to the image's
 * (cut to multiples of 64); with --height/--width the image is resized to them.
 */
@Command(name = "image2image", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Generate images from an image and a prompt and save them as one PNG grid.")
final class Image2ImageCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "IMAGE", description = "The input image (PNG, JPEG, ...).")
    Path image;

    @Parameters(index = "1", paramLabel = "PROMPT", description = "The prompt (may be empty).")
    String prompt;

    @Option(names = "--strength", defaultValue = "0.9", paramLabel = "S",
            description = "How much noise to add to the image, in (0, 1]; 1 ignores it (default: ${DEFAULT-VALUE}).")
    double strength;

    @Mixin
    GenerationOptions options;

    @Mixin
    DeepCacheOptions deepCache;

    @Override
    public Integer call() throws Exception {
        CommandLine cmd = spec.commandLine();
        options.validate(cmd);
        deepCache.validate(cmd);
        if (!(strength > 0 && strength <= 1)) throw new CommandLine.ParameterException(cmd, "--strength must be in (0, 1], got " + strength);
        Png.Rgb img = InitImages.read(image);
        int width = options.width != null ? options.width : InitImages.floorTo64(img.width(), "width");
        int height = options.height != null ? options.height : InitImages.floorTo64(img.height(), "height");
        if (width != img.width() || height != img.height()) {
            cmd.getErr().println("Warning: " + image + " is " + img.width() + "x" + img.height()
                    + "; resizing it (nearest) to " + width + "x" + height);
        }
        options.defaultSize(width, height);
        GenerateRequest.Builder request = options.request(prompt, deepCache).setInitImage(InitImage.newBuilder()
                .setEncodedImage(ByteString.copyFrom(Png.encode(InitImages.resizeNearest(img, width, height))))
                .setStrength(strength));
        return new GenerationRun(options, Endpoint.orchestrator(options.orchestrator), cmd.getOut(), cmd.getErr()).run(request.build());
    }
}
