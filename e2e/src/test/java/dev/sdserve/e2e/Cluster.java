package dev.sdserve.e2e;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.sdserve.runtime.BrokenModels;
import dev.sdserve.runtime.SharedFixtures;
import java.nio.file.Path;
import java.util.List;

/**
 * The one {@link ServiceCluster} the e2e tests of this JVM share (starting four services costs seconds).
 * Tests are skipped, with a message saying why, when ../shared or a service's quarkus-run.jar is missing.
 */
final class Cluster {
    private static ServiceCluster shared;
    private static RuntimeException startFailure;

    private Cluster() {
    }

    /** The running cluster; skips the calling test when it cannot run here. */
    static synchronized ServiceCluster get() {
        SharedFixtures.assume();
        ServiceCluster.Layout layout = layout();
        List<ServiceCluster.Service> missing = ServiceCluster.missingJars(layout);
        assumeTrue(missing.isEmpty(), "skipped: not built yet (run mvn package on the services): " + missing);
        if (startFailure != null) throw startFailure;
        if (shared == null) {
            try {
                shared = ServiceCluster.start(layout); // its shutdown hook stops it when the test JVM exits
            } catch (RuntimeException e) {
                startFailure = e;
                throw e;
            }
        }
        return shared;
    }

    static ServiceCluster.Layout layout() {
        Path project = projectDir();
        // a second root holds broken copies of the tiny model (parts missing or corrupt) for the bad-input tests
        Path broken = BrokenModels.createAll(project.resolve("e2e/target/e2e-broken-models"));
        return new ServiceCluster.Layout(project, List.of(SharedFixtures.modelsRoot(), broken), "tiny-sd15",
                project.resolve("e2e/target/e2e-cluster"));
    }

    /** The repository root: the build's sd.project.dir, or the parent of the e2e module when run elsewhere. */
    static Path projectDir() {
        String prop = System.getProperty("sd.project.dir");
        Path project = prop != null && !prop.isBlank() ? Path.of(prop) : Path.of("..");
        return project.toAbsolutePath().normalize();
    }
}
