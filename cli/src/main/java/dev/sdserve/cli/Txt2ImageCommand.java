package dev.sdserve.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code sd txt2image PROMPT}: mlx-examples' txt2image, through the orchestrator, with DeepCache flags. */
@Command(name = "txt2image", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Generate images from a prompt and save them as one PNG grid.")
final class Txt2ImageCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "PROMPT", description = "The prompt (may be empty).")
    String prompt;

    @Mixin
    GenerationOptions options;

    @Mixin
    DeepCacheOptions deepCache;

    @Override
    public Integer call() throws Exception {
        options.validate(spec.commandLine());
        deepCache.validate(spec.commandLine());
        GenerationRun run = new GenerationRun(options, Endpoint.orchestrator(options.orchestrator),
                spec.commandLine().getOut(), spec.commandLine().getErr());
        return run.run(options.request(prompt, deepCache).build());
    }
}
