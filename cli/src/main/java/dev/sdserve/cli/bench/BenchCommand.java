package dev.sdserve.cli.bench;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sdserve.runtime.ExecutionProvider;
import dev.sdserve.runtime.Json;
import dev.sdserve.runtime.ModelFolder;
import dev.sdserve.runtime.ModelRoots;
import dev.sdserve.runtime.RuntimeOptions;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.logging.Level;
import java.util.logging.Logger;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code sd bench}: DeepCache against no cache, and the four services against the same stages in one process,
 * on this machine, in one run. Writes bench.json, bench.md and bench.png to {@code --out}.
 */
@Command(name = "bench", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Benchmark DeepCache (N=2, 3, 5, non-uniform, branch 1) against no cache, and the four services"
                + " against the same stages in-process, with the same initial latents. Writes DIR/bench.json,"
                + " DIR/bench.md and DIR/bench.png.",
                "Runs the models in this process and starts the services itself (from <project>/<module>/target/"
                        + "quarkus-app), so nothing needs to be running."})
public final class BenchCommand implements Callable<Integer> {
    static final String QUICK_MODEL = "tiny-sd15";

    @Spec
    CommandSpec spec;

    @Option(names = "--model", paramLabel = "NAME",
            description = "Model folder under the models roots (default: with --quick " + QUICK_MODEL
                    + " if present, else the roots' first model).")
    String model;

    @Option(names = "--models-dir", paramLabel = "DIRS",
            description = "Models roots, ':'-separated (default: $SD_MODELS_DIR, else ./models).")
    String modelsDir;

    @Option(names = "--height", paramLabel = "PX", description = "Image height (default: 256; 128 with --quick).")
    Integer height;

    @Option(names = "--width", paramLabel = "PX", description = "Image width (default: 256; 128 with --quick).")
    Integer width;

    @Option(names = "--steps", description = "PNDM steps (default: 50; 20 with --quick).")
    Integer steps;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Output folder (created).")
    Path out;

    @Option(names = "--quick", description = "A short run for CI: the tiny model, 128x128, 20 steps, a small GEMM.")
    boolean quick;

    @Option(names = "--threads", defaultValue = "0", description = "ONNX Runtime intra-op threads; 0 = all cores (default).")
    int threads;

    @Option(names = "--allow-spinning", defaultValue = "true", arity = "1", paramLabel = "true|false",
            description = "ONNX Runtime intra-op threads spin while idle (session.intra_op.allow_spinning; default: "
                    + "true, as the services).")
    boolean allowSpinning;

    @Option(names = "--optimization-level", defaultValue = "all",
            description = "ORT graph optimisation: disable, basic, extended, all (default: ${DEFAULT-VALUE}).")
    String optimizationLevel;

    @Option(names = "--prompt", defaultValue = "a photograph of an astronaut riding a horse",
            description = "The prompt (default: \"${DEFAULT-VALUE}\").")
    String prompt;

    @Option(names = "--seed", defaultValue = "42", description = "Seed of the initial latents (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--gemm-side", paramLabel = "N", description = "Side of the GEMM probe (default: 2048; 512 with --quick).")
    Integer gemmSide;

    @Option(names = "--no-split", description = "Skip the four-services run (no split_over_inprocess).")
    boolean noSplit;

    @Option(names = "--configs", split = ",", paramLabel = "KEYS",
            description = "DeepCache configurations to time, e.g. N3,N5 (default: all of N2, N3, N5, N5_nonuniform,"
                    + " N5_branch1). The baseline always runs; the split run adds N5.")
    List<String> configs;

    @Option(names = "--repeat", paramLabel = "R",
            description = "Timed runs of each configuration; the report gives the median and the range (default: 3;"
                    + " 1 with --quick).")
    Integer repeat;

    @Option(names = "--no-op-profile", description = "Skip the op-level profile (ONNX Runtime's profiler on each"
            + " graph after the timed runs).")
    boolean noOpProfile;

    @Option(names = "--project-dir", paramLabel = "DIR",
            description = "Source tree with the built services (default: found from the jar or the working directory).")
    Path projectDir;

    /** Held so the level sticks: the stages log every model load at INFO, which would bury the bench's own lines. */
    private static final Logger STAGE_LOGS = Logger.getLogger("dev.sdserve");

    @Override
    public Integer call() throws IOException {
        validate();
        STAGE_LOGS.setLevel(Level.WARNING);
        PrintWriter err = spec.commandLine().getErr();
        Files.createDirectories(out);
        BenchResults results = new Benchmark(settings(), err).run();
        ObjectNode json = BenchJson.of(results);
        Json.MAPPER.writerWithDefaultPrettyPrinter().writeValue(out.resolve("bench.json").toFile(), json);
        Files.writeString(out.resolve("bench.md"), BenchMarkdown.of(results), StandardCharsets.UTF_8);
        BenchChart.write(results, out.resolve("bench.png"));
        PrintWriter stdout = spec.commandLine().getOut();
        stdout.print(BenchMarkdown.of(results));
        stdout.println("Wrote " + out.resolve("bench.json") + ", bench.md and bench.png");
        stdout.flush();
        return 0;
    }

    private void validate() {
        CommandLine cl = spec.commandLine();
        for (Integer side : new Integer[] {height, width}) {
            if (side != null && (side < 64 || side % 64 != 0)) {
                throw new CommandLine.ParameterException(cl, "--height/--width: a positive multiple of 64, got " + side);
            }
        }
        if (steps != null && steps < 5) throw new CommandLine.ParameterException(cl, "--steps: at least 5, got " + steps);
        if (threads < 0) throw new CommandLine.ParameterException(cl, "--threads: 0 (all cores) or more, got " + threads);
        if (repeat != null && repeat < 1) throw new CommandLine.ParameterException(cl, "--repeat: at least 1, got " + repeat);
        if (gemmSide != null && gemmSide < 16) throw new CommandLine.ParameterException(cl, "--gemm-side: at least 16");
    }

    BenchSettings settings() {
        ModelRoots roots = modelsDir != null ? new ModelRoots(ModelRoots.parse(modelsDir), "")
                : ModelRoots.fromConfig("models", "");
        ModelFolder folder = roots.resolve(modelName(roots));
        int side = quick ? 128 : 256;
        var generation = new BenchSettings.Generation(prompt, "", steps != null ? steps : quick ? 20 : 50,
                height != null ? height : side, width != null ? width : side, seed, 7.5);
        RuntimeOptions runtime = new RuntimeOptions(ExecutionProvider.CPU, threads, optimizationLevel, allowSpinning);
        int gemm = gemmSide != null ? gemmSide : quick ? 512 : 2048;
        List<String> keys = configs != null ? configs : BenchCase.deepCache().stream().map(BenchCase::key).toList();
        List<BenchCase> cases;
        try {
            cases = BenchCase.select(keys, !noSplit);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
        return new BenchSettings(folder, roots, generation, runtime, gemm, projectDir(),
                out.toAbsolutePath().resolve("work"), !noSplit, cases, repeat != null ? repeat : quick ? 1 : 3,
                !noOpProfile);
    }

    private String modelName(ModelRoots roots) {
        if (model != null) return model;
        if (quick && roots.list().containsKey(QUICK_MODEL)) return QUICK_MODEL;
        return roots.defaultModel();
    }

    /** --project-dir, else the tree this jar was built in (cli/target/...), else the working directory or its parent. */
    private Path projectDir() {
        if (projectDir != null) return projectDir.toAbsolutePath().normalize();
        List<Path> candidates = new ArrayList<>();
        try {
            Path code = Path.of(BenchCommand.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            for (Path p = code; p != null; p = p.getParent()) candidates.add(p);
        } catch (URISyntaxException | RuntimeException unknown) {
            // no code source: fall back to the working directory
        }
        Path cwd = Path.of("").toAbsolutePath();
        candidates.add(cwd);
        if (cwd.getParent() != null) candidates.add(cwd.getParent());
        for (Path p : candidates) if (Files.isDirectory(p.resolve("unet-service"))) return p;
        return cwd;
    }
}
