package dev.sdserve.orchestrator;

import dev.sdserve.orchestrator.client.ReplicaLoad;
import dev.sdserve.orchestrator.client.ReplicaStats;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.inject.Singleton;
import java.util.function.ToIntFunction;

/**
 * Stage replicas as Micrometer meters: {@code sd_unet_session_migrations_total} (UNet sessions moved to another
 * replica), {@code sd_unet_replica_sessions{replica}} (this orchestrator's open sessions per unet-service
 * replica) and {@code sd_stage_replica_calls{stage,replica}} (open calls per replica of every stage).
 */
@Singleton
public class ReplicaMetrics {
    private final Counter migrations;

    public ReplicaMetrics(MeterRegistry registry) {
        migrations = Counter.builder("sd.unet.session.migrations")
                .description("UNet sessions moved to another unet-service replica after theirs was lost").register(registry);
        ReplicaStats.subscribe(load -> {
            if (load.stage().equals("unet-service")) {
                Gauge.builder("sd.unet.replica.sessions", () -> current(load, ReplicaLoad::sessions))
                        .tag("replica", load.address()).description("open UNet sessions of this orchestrator per replica")
                        .register(registry);
            }
            Gauge.builder("sd.stage.replica.calls", () -> current(load, ReplicaLoad::calls))
                    .tags("stage", load.stage(), "replica", load.address())
                    .description("open calls of this orchestrator per stage replica").register(registry);
        });
    }

    /** One session moved. */
    public void migrated() {
        migrations.increment();
    }

    /** The count of the replica at {@code like}'s address now (a replica removed and added again is a new object). */
    private static int current(ReplicaLoad like, ToIntFunction<ReplicaLoad> count) {
        int sum = 0;
        for (ReplicaLoad r : ReplicaStats.all()) {
            if (r.stage().equals(like.stage()) && r.address().equals(like.address())) sum += count.applyAsInt(r);
        }
        return sum;
    }
}
