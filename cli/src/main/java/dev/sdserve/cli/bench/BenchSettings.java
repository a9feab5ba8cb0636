package dev.sdserve.cli.bench;

import dev.sdserve.runtime.ModelFolder;
import dev.sdserve.runtime.ModelRoots;
import dev.sdserve.runtime.RuntimeOptions;
import java.nio.file.Path;
import java.util.List;

/**
 * Everything one benchmark run needs, resolved from the command line.
 *
 * @param model      the resolved model folder
 * @param roots      the models roots it was found in (the services get the same)
 * @param generation what every configuration generates
 * @param runtime    ONNX Runtime options, for the in-process stages and the services alike
 * @param gemmSide   side of the square MatMul that measures the GEMM peak
 * @param projectDir the source tree holding the services' target/quarkus-app/quarkus-run.jar
 * @param workDir    scratch space: derived UNet graphs, service logs
 * @param split      also run the four services and compare (needs their jars)
 * @param cases      the DeepCache configurations to time (the baseline always runs), in report order
 * @param repeats    timed runs of each configuration (the report gives their median and range)
 * @param profileOps after the timed runs, run each UNet branch's graphs, the text encoder and the VAE decoder once
 *                   more with ONNX Runtime's profiler on and report where their time goes
 */
record BenchSettings(ModelFolder model, ModelRoots roots, Generation generation, RuntimeOptions runtime,
                     int gemmSide, Path projectDir, Path workDir, boolean split, List<BenchCase> cases, int repeats,
                     boolean profileOps) {

    BenchSettings {
        cases = List.copyOf(cases);
        if (repeats < 1) throw new IllegalArgumentException("repeats: at least 1, got " + repeats);
    }

    BenchSettings withRuntime(RuntimeOptions options) {
        return new BenchSettings(model, roots, generation, options, gemmSide, projectDir, workDir, split, cases, repeats,
                profileOps);
    }

    /** Where the op profile's ONNX Runtime traces go. */
    Path profileDir() {
        return workDir.resolve("ort-profiles");
    }

    /** The UNet branches the selected configurations use; branch 0 (the baseline's graphs) always. */
    java.util.SortedSet<Integer> branches() {
        java.util.SortedSet<Integer> out = new java.util.TreeSet<>(List.of(0));
        cases.forEach(c -> out.add(c.branch()));
        return out;
    }

    /**
     * The generation every configuration repeats from the same initial latents.
     *
     * @param guidance CFG scale (7.5: the UNet batch is 2)
     */
    record Generation(String prompt, String negativePrompt, int steps, int height, int width, long seed,
                      double guidance) {
        /** diffusers' PNDM with skip_prk_steps (PLMS), as DeepCache's SD 1.5 evaluation uses. */
        static final String SCHEDULER = "pndm";

        int latentHeight() {
            return height / 8;
        }

        int latentWidth() {
            return width / 8;
        }

        /** The UNet batch: [uncond, cond] with CFG. */
        int unetBatch() {
            return guidance > 1 ? 2 : 1;
        }
    }

    /** Threads ONNX Runtime uses inside an operator: the configured count, or all cores. */
    int threads() {
        return runtime.intraOpThreads() > 0 ? runtime.intraOpThreads() : Runtime.getRuntime().availableProcessors();
    }

    Path graphCacheDir() {
        return workDir.resolve("unet-graphs");
    }
}
