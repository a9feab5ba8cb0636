package dev.sdserve.cli.k8s;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code sd k8s}: the Helm chart in deploy/helm/sdserve, without a helm binary or a cluster. */
@Command(name = "k8s", mixinStandardHelpOptions = true,
        description = "Kubernetes: render the sdserve Helm chart (deploy/helm/sdserve) with Helm's own engine.",
        subcommands = {RenderCommand.class, CommandLine.HelpCommand.class})
public final class K8sCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "Missing subcommand: render");
    }
}
