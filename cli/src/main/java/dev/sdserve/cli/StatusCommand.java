package dev.sdserve.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sdserve.proto.v1.DenoiserGrpc;
import dev.sdserve.proto.v1.GetStatusRequest;
import dev.sdserve.runtime.Json;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.StatusRuntimeException;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * Hidden {@code sd status SERVICE:REPLICA:PORT:PID...}: the state of every process the ./sd launcher started
 * (it passes the list), one row each: grpc.health.v1 status and, for unet-service, its open sessions (GetStatus).
 * {@code --json} prints a JSON array of {@code {service, replica, port, pid, serving[, sessions]}} instead.
 * Exits 0 only when every process serves.
 */
@Command(name = "status", hidden = true, mixinStandardHelpOptions = true,
        description = "Health and sessions of the processes the ./sd launcher started (it passes them).")
final class StatusCommand implements Callable<Integer> {
    private static final long CALL_TIMEOUT_MS = 2000;

    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "SERVICE:REPLICA:PORT:PID", description = "One process each; PID '-' when not running.")
    List<String> members = new ArrayList<>();

    @Option(names = "--host", defaultValue = "127.0.0.1", description = "Host of the services (default: ${DEFAULT-VALUE}).")
    String host;

    @Option(names = "--json", description = "Print a JSON array, one object per process.")
    boolean json;

    /** One process and what it answered. */
    record Row(String service, int replica, int port, Long pid, String health, OptionalInt sessions) {
        boolean serving() {
            return HealthCommand.SERVING.equals(health);
        }
    }

    @Override
    public Integer call() throws Exception {
        List<Row> rows = new ArrayList<>();
        for (String m : members) rows.add(probe(parse(m)));
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            out.println(Json.MAPPER.writeValueAsString(toJson(rows)));
        } else {
            out.printf("%-22s %-7s %-6s %-8s %-12s %s%n", "SERVICE", "REPLICA", "PORT", "PID", "HEALTH", "SESSIONS");
            for (Row r : rows) {
                out.printf("%-22s %-7d %-6d %-8s %-12s %s%n", r.service(), r.replica(), r.port(),
                        r.pid() == null ? "-" : r.pid().toString(), r.health(),
                        r.sessions().isPresent() ? String.valueOf(r.sessions().getAsInt()) : "-");
            }
        }
        out.flush();
        return rows.stream().allMatch(Row::serving) ? 0 : CliErrors.EXIT_FAILED;
    }

    static ArrayNode toJson(List<Row> rows) {
        ArrayNode a = Json.MAPPER.createArrayNode();
        for (Row r : rows) {
            ObjectNode o = a.addObject();
            o.put("service", r.service());
            o.put("replica", r.replica());
            o.put("port", r.port());
            if (r.pid() == null) o.putNull("pid");
            else o.put("pid", r.pid());
            o.put("serving", r.serving());
            if (r.service().equals("unet-service")) {
                if (r.sessions().isPresent()) o.put("sessions", r.sessions().getAsInt());
                else o.putNull("sessions");
            }
        }
        return a;
    }

    /** {@code unet-service:1:50061:4242} (pid "-" = not running). */
    Row parse(String member) {
        String[] p = member.split(":");
        if (p.length != 4) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(),
                    "expected SERVICE:REPLICA:PORT:PID, got '" + member + "'");
        }
        try {
            Long pid = p[3].equals("-") || p[3].isEmpty() ? null : Long.valueOf(p[3]);
            return new Row(p[0], Integer.parseInt(p[1]), Integer.parseInt(p[2]), pid, "", OptionalInt.empty());
        } catch (NumberFormatException e) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), "bad number in '" + member + "'");
        }
    }

    private Row probe(Row r) {
        ManagedChannel ch = ManagedChannelBuilder.forAddress(host, r.port()).usePlaintext().build();
        try {
            String health = HealthCommand.check(ch);
            OptionalInt sessions = OptionalInt.empty();
            if (r.service().equals("unet-service") && !health.equals("UNREACHABLE")) {
                try {
                    sessions = OptionalInt.of(DenoiserGrpc.newBlockingStub(ch)
                            .withDeadlineAfter(CALL_TIMEOUT_MS, TimeUnit.MILLISECONDS)
                            .getStatus(GetStatusRequest.getDefaultInstance()).getFeatureStore().getSessions());
                } catch (StatusRuntimeException e) {
                    // no answer: sessions unknown
                }
            }
            return new Row(r.service(), r.replica(), r.port(), r.pid(), health, sessions);
        } finally {
            ch.shutdownNow();
        }
    }
}
