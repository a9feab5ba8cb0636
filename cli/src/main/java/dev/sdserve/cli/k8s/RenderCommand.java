package dev.sdserve.cli.k8s;

import dev.sdserve.runtime.SdException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code sd k8s render}: {@code helm template} of the sdserve chart through helm-java (Helm's Go library,
 * bundled), printing the manifests. No helm binary and no cluster are needed.
 */
@Command(name = "render", mixinStandardHelpOptions = true,
        description = {"Print the Kubernetes manifests of the sdserve Helm chart (helm template, no cluster needed).",
                "Apply them with: ./sd k8s render [--set ...] | kubectl apply -f -"})
public final class RenderCommand implements Callable<Integer> {
    /** Helm's offline default is 1.20, below the chart's kubeVersion (native gRPC probes need 1.27+). */
    public static final String DEFAULT_KUBE_VERSION = "1.32.0";

    @Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--set", paramLabel = "KEY=VALUE",
            description = "A chart value, as helm's --set (repeatable), e.g. --set unet.replicas=3 --set unet.gpu=true")
    List<String> sets = new ArrayList<>();

    @Option(names = {"-f", "--values"}, paramLabel = "FILE", description = "A values YAML file, as helm's --values (repeatable)")
    List<Path> valuesFiles = new ArrayList<>();

    @Option(names = "--release", defaultValue = "sdserve", description = "Release name (default: ${DEFAULT-VALUE})")
    String release;

    @Option(names = {"-n", "--namespace"}, defaultValue = "default", description = "Namespace (default: ${DEFAULT-VALUE})")
    String namespace;

    @Option(names = "--kube-version", defaultValue = DEFAULT_KUBE_VERSION,
            description = "Kubernetes version the chart is rendered for (.Capabilities.KubeVersion; default: ${DEFAULT-VALUE})")
    String kubeVersion;

    @Option(names = "--chart", paramLabel = "DIR",
            description = "Chart folder (default: deploy/helm/sdserve of this repository, else the copy in the CLI's jar)")
    Path chart;

    @Override
    public Integer call() {
        spec.commandLine().getOut().print(render(chart == null ? HelmChart.locate() : chart, release, namespace, sets, valuesFiles, kubeVersion));
        spec.commandLine().getOut().flush();
        return 0;
    }

    /** The rendered manifests (helm template's output), or INVALID_ARGUMENT naming what Helm rejected. */
    public static String render(Path chart, String release, String namespace, List<String> sets, List<Path> valuesFiles,
            String kubeVersion) {
        if (!Files.isRegularFile(chart.resolve("Chart.yaml"))) {
            throw SdException.notFound("--chart: " + chart + " has no Chart.yaml");
        }
        var template = new com.marcnuri.helm.Helm(chart).template().withName(release).withNamespace(namespace)
                .withKubeVersion(kubeVersion);
        for (Path f : valuesFiles) {
            if (!Files.isRegularFile(f)) throw SdException.notFound("--values: no such file " + f);
            template.withValuesFile(f.toAbsolutePath());
        }
        for (String s : sets) {
            int eq = s.indexOf('=');
            if (eq <= 0) throw SdException.invalid("--set: expected KEY=VALUE, got '" + s + "'");
            template.set(s.substring(0, eq), s.substring(eq + 1));
        }
        try {
            return template.call();
        } catch (IllegalStateException e) {
            // Helm's own message: a failed template, a bad --set path, a values file that is not YAML
            throw SdException.invalid("chart " + chart + ": " + e.getMessage());
        }
    }
}
