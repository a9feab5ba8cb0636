package dev.sdserve.cli;

import dev.sdserve.proto.v1.ImageGenerationGrpc;
import dev.sdserve.proto.v1.ListModelsRequest;
import dev.sdserve.proto.v1.ListModelsResponse;
import dev.sdserve.proto.v1.ModelInfo;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import java.io.PrintWriter;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code sd models}: the orchestrator's ListModels as a table, one model a line: name, family, default
 * scheduler, native size, the steps and guidance a request that leaves them unset gets, dtype, loaded, root.
 */
@Command(name = "models", mixinStandardHelpOptions = true,
        description = "List the models under the services' models roots, with their family and defaults.")
final class ModelsCommand implements Callable<Integer> {
    private static final long DEADLINE_S = 60;
    private static final String ROW = "%-24s %-6s %-34s %-9s %5s %8s  %-8s %-6s %s%n";

    @Spec
    CommandSpec spec;

    @Option(names = "--orchestrator", paramLabel = "HOST:PORT",
            description = "Orchestrator address (default: $" + Endpoint.ORCHESTRATOR_ENV + ", else localhost:50051).")
    String orchestrator;

    @Override
    public Integer call() {
        Endpoint endpoint = Endpoint.orchestrator(orchestrator);
        ManagedChannel channel = endpoint.open();
        try {
            print(ImageGenerationGrpc.newBlockingStub(channel).withDeadlineAfter(DEADLINE_S, TimeUnit.SECONDS)
                    .listModels(ListModelsRequest.getDefaultInstance()), spec.commandLine().getOut());
            return 0;
        } catch (StatusRuntimeException e) {
            throw endpoint.explain(e);
        } finally {
            channel.shutdownNow();
        }
    }

    static void print(ListModelsResponse r, PrintWriter out) {
        out.printf(Locale.ROOT, ROW, "model", "family", "scheduler", "size", "steps", "guidance", "dtype", "loaded", "root");
        for (ModelInfo m : r.getModelsList()) {
            out.printf(Locale.ROOT, ROW, m.getName() + (m.getName().equals(r.getDefaultModel()) ? " *" : ""), m.getKind(),
                    m.getDefaultScheduler(), m.getNativeWidth() + "x" + m.getNativeHeight(), m.getDefaultSteps(),
                    trim(m.getDefaultGuidance()), m.getDtype(), m.getLoaded() ? "yes" : "no", m.getRoot());
        }
        out.println("* the default model");
        out.flush();
    }

    private static String trim(double v) {
        return v == Math.rint(v) ? Long.toString((long) v) : Double.toString(v);
    }
}
