package dev.sdserve.cli;

import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthGrpc;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * Hidden {@code sd health PORT...}: the grpc.health.v1 status of each port, one {@code PORT STATUS} line
 * each (SERVING, NOT_SERVING, UNREACHABLE, ...). With {@code --wait S} it polls until all serve or S seconds
 * pass. Exits 0 only when every port serves. The ./sd launcher uses it; the services have no HTTP health.
 */
@Command(name = "health", hidden = true, mixinStandardHelpOptions = true,
        description = "Check the gRPC health (grpc.health.v1) of services on the given ports.")
final class HealthCommand implements Callable<Integer> {
    static final String SERVING = "SERVING";
    private static final long CHECK_TIMEOUT_MS = 2000;
    private static final long POLL_MS = 500;

    @Spec
    CommandSpec spec;

    @Parameters(arity = "1..*", paramLabel = "PORT", description = "gRPC ports to check.")
    List<Integer> ports;

    @Option(names = "--host", defaultValue = "127.0.0.1", description = "Host of the services (default: ${DEFAULT-VALUE}).")
    String host;

    @Option(names = "--wait", defaultValue = "0", paramLabel = "SECONDS",
            description = "Poll until all ports serve, at most this long (default: 0 = check once).")
    double waitSeconds;

    @Override
    public Integer call() throws InterruptedException {
        List<ManagedChannel> channels = new ArrayList<>();
        for (int port : ports) channels.add(ManagedChannelBuilder.forAddress(host, port).usePlaintext().build());
        try {
            long deadline = System.nanoTime() + (long) (waitSeconds * 1e9);
            List<String> states = check(channels);
            while (!allServing(states) && System.nanoTime() < deadline) {
                Thread.sleep(POLL_MS);
                states = check(channels);
            }
            for (int i = 0; i < ports.size(); i++) spec.commandLine().getOut().println(ports.get(i) + " " + states.get(i));
            return allServing(states) ? 0 : CliErrors.EXIT_FAILED;
        } finally {
            channels.forEach(ManagedChannel::shutdownNow);
        }
    }

    private static boolean allServing(List<String> states) {
        return states.stream().allMatch(SERVING::equals);
    }

    private static List<String> check(List<ManagedChannel> channels) {
        List<String> out = new ArrayList<>();
        for (ManagedChannel ch : channels) out.add(check(ch));
        return out;
    }

    static String check(ManagedChannel channel) {
        try {
            return HealthGrpc.newBlockingStub(channel).withDeadlineAfter(CHECK_TIMEOUT_MS, TimeUnit.MILLISECONDS)
                    .check(HealthCheckRequest.getDefaultInstance()).getStatus().name();
        } catch (StatusRuntimeException e) {
            return switch (e.getStatus().getCode()) {
                case UNAVAILABLE, DEADLINE_EXCEEDED -> "UNREACHABLE";
                default -> e.getStatus().getCode().name();
            };
        }
    }
}
