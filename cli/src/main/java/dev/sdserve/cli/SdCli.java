package dev.sdserve.cli;

import dev.sdserve.cli.bench.BenchCommand;
import dev.sdserve.cli.bench.OpProfileCommand;
import dev.sdserve.cli.k8s.K8sCommand;
import dev.sdserve.forge.ForgeMain;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * The {@code sd} command: one picocli subcommand class each. {@code up}, {@code down} and
 * {@code status} belong to the {@code ./sd} launcher, which starts the services this CLI talks to.
 */
@Command(name = "sd", mixinStandardHelpOptions = true, version = "sd (sdserve) 0.1.0",
        description = "Stable Diffusion with DeepCache over gRPC microservices.",
        footer = {"", "The ./sd launcher adds: up, down, status (service management) and builds what is missing."},
        subcommands = {Txt2ImageCommand.class, Image2ImageCommand.class, TokenizeCommand.class, ModelsCommand.class,
                BenchCommand.class, OpProfileCommand.class, ForgeMain.class, K8sCommand.class, HealthCommand.class, StatusCommand.class,
                CommandLine.HelpCommand.class})
public final class SdCli implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "Missing subcommand");
    }

    /** The command line with the error handling every entry point (main, tests, the bench) shares. */
    public static CommandLine commandLine() {
        return new CommandLine(new SdCli())
                .setExecutionExceptionHandler(new CliErrors())
                .setUsageHelpAutoWidth(true);
    }

    public static void main(String[] args) {
        System.exit(commandLine(args.length > 0 ? args[0] : "").execute(args));
    }

    /**
     * The command line for a run whose first argument is {@code first}: for the client commands run before and
     * after every generation (txt2image, image2image, tokenize, health, status) "sd" with that one subcommand, so the JVM
     * builds one picocli model instead of all of them (picocli's classes are Java 5 bytecode, which class-data
     * sharing cannot archive); anything else gets {@link #commandLine()}. Parsing, help and errors are the same.
     */
    static CommandLine commandLine(String first) {
        Object only = switch (first) {
            case "txt2image" -> new Txt2ImageCommand();
            case "image2image" -> new Image2ImageCommand();
            case "tokenize" -> new TokenizeCommand();
            case "health" -> new HealthCommand();
            case "status" -> new StatusCommand();
            default -> null;
        };
        if (only == null) return commandLine();
        CommandSpec sd = CommandSpec.wrapWithoutInspection(new SdCli()).name("sd");
        return new CommandLine(sd).addSubcommand(first, new CommandLine(only))
                .setExecutionExceptionHandler(new CliErrors())
                .setUsageHelpAutoWidth(true);
    }
}
