package dev.sdserve.forge;

import dev.sdserve.runtime.SdException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code forge --preset sd15|sd21|sdxl|sdxl-turbo --scale X [--seed N] --out DIR}: writes a synthetic model folder. The folder
 * name is the model name when DIR is under a models root. Usable standalone or as the {@code sd forge} subcommand.
 */
@Command(name = "forge", mixinStandardHelpOptions = true,
        description = "Forge a synthetic Stable Diffusion ONNX model folder (SD topology, random seeded weights).")
public final class ForgeMain implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--preset", required = true, description = "sd15, sd21, sdxl or sdxl-turbo (sdxl's model with Turbo's Euler a / trailing scheduler)")
    String preset;

    @Option(names = "--scale", required = true, description = "width scale; 1.0 = real sizes (UNet ~860M params for sd15/sd21, 2.57B for sdxl)")
    double scale;

    @Option(names = "--seed", defaultValue = "0", description = "weight seed (default ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--out", required = true, description = "model folder to create (absent or empty)")
    Path out;

    @Option(names = "--external-data-threshold-mb", hidden = true,
            description = "parts above this size keep weights in model.onnx_data")
    long thresholdMb = ForgeOptions.DEFAULT_EXTERNAL_THRESHOLD >> 20;

    @Override
    public Integer call() {
        PrintWriter err = spec.commandLine().getErr();
        PrintWriter outw = spec.commandLine().getOut();
        try {
            ForgeResult r = Forge.forge(new ForgeSpec(preset, scale, seed), out, new ForgeOptions(thresholdMb << 20));
            outw.printf("forged %s %s scale %s seed %d into %s in %.1f s%n", r.dims().kind(), r.dims().unet(), scale,
                    seed, r.dir(), r.elapsed().toMillis() / 1000.0);
            r.parameters().entrySet().stream().sorted(Map.Entry.comparingByKey())
                    .forEach(e -> outw.printf("  %-12s %,15d parameters%n", e.getKey(), e.getValue()));
            outw.printf("  %-12s %,15d bytes%n", "total", r.bytes());
            return 0;
        } catch (SdException e) {
            err.println("forge: " + e.getMessage());
            return 2;
        }
    }

    public static void main(String[] args) {
        System.exit(new CommandLine(new ForgeMain()).execute(args));
    }
}
