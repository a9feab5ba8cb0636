package dev.sdserve.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The ./sd launcher's class-data archive for the CLI (AppCDS), run for real with bash and java: the first run of a
 * command writes the archive (-XX:ArchiveClassesAtExit), the next maps it (-XX:SharedArchiveFile) and prints the
 * same; a damaged archive changes nothing a user sees; SD_CLI_CDS=0 turns it off. A wrapper given as $JAVA logs the
 * flags each JVM got. Needs the CLI jar (mvn package -pl cli); no services.
 */
class LauncherCdsTest {
    @TempDir
    static Path tmp;
    static Path sd;
    static Path javaLog;
    static Path wrapper;

    @BeforeAll
    static void setUp() throws IOException {
        Path project = Cluster.projectDir();
        sd = project.resolve("sd");
        assumeTrue(Files.isRegularFile(project.resolve("cli/target/sdserve-cli.jar")) && Files.isDirectory(project.resolve("cli/target/lib")),
                "skipped: cli/target/sdserve-cli.jar not built; run mvn package -pl cli first");
        javaLog = tmp.resolve("java-args.log");
        wrapper = tmp.resolve("java-wrapper");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Files.writeString(wrapper, "#!/usr/bin/env bash\necho \"$*\" >> '" + javaLog + "'\nexec '" + java + "' \"$@\"\n");
        Files.setPosixFilePermissions(wrapper, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    record Run(int exit, String stdout, String stderr, String javaArgs) {
    }

    static Run sd(Path cdsDir, String cds, String... args) throws Exception {
        Files.deleteIfExists(javaLog);
        Path out = Files.createTempFile(tmp, "out", ".txt");
        Path err = Files.createTempFile(tmp, "err", ".txt");
        ProcessBuilder pb = new ProcessBuilder(Stream.concat(Stream.of("bash", sd.toString()), Stream.of(args)).toList())
                .redirectOutput(out.toFile()).redirectError(err.toFile());
        pb.environment().put("JAVA", wrapper.toString());
        pb.environment().put("SD_CLI_CDS_DIR", cdsDir.toString());
        pb.environment().put("SD_CLI_CDS", cds);
        Process p = pb.start();
        try {
            assertTrue(p.waitFor(120, TimeUnit.SECONDS), "./sd " + String.join(" ", args) + " timed out");
        } finally {
            p.destroyForcibly();
        }
        return new Run(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8), Files.readString(err, StandardCharsets.UTF_8),
                Files.exists(javaLog) ? Files.readString(javaLog, StandardCharsets.UTF_8) : "");
    }

    static List<Path> archives(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.sorted().toList();
        }
    }

    @Test
    void firstRunWritesTheArchiveTheNextUsesIt() throws Exception {
        Path dir = tmp.resolve("cds-a");
        Run plain = sd(dir, "0", "--version");
        assertEquals(0, plain.exit(), plain.stderr());
        assertFalse(plain.javaArgs().contains("SharedArchiveFile") || plain.javaArgs().contains("ArchiveClassesAtExit"), plain.javaArgs());
        assertFalse(Files.exists(dir), "SD_CLI_CDS=0 wrote an archive folder");

        Run first = sd(dir, "1", "--version");
        assertEquals(0, first.exit(), first.stderr());
        assertTrue(first.javaArgs().contains("-XX:ArchiveClassesAtExit="), first.javaArgs());
        assertEquals(plain.stdout(), first.stdout());
        List<Path> written = archives(dir);
        assertEquals(1, written.size(), written.toString()); // no temporary file left
        Path archive = written.get(0);
        assertEquals("cli.jsa", archive.getFileName().toString());
        assertTrue(Files.size(archive) > 100_000, "archive of " + Files.size(archive) + " bytes");

        Run second = sd(dir, "1", "--version");
        assertEquals(0, second.exit(), second.stderr());
        assertTrue(second.javaArgs().contains("-XX:SharedArchiveFile=" + archive), second.javaArgs());
        assertEquals(plain.stdout(), second.stdout());
        assertEquals(List.of(archive), archives(dir));

        // a rebuilt CLI jar (newer than the archive) gets the archive written again
        Path jar = Cluster.projectDir().resolve("cli/target/sdserve-cli.jar");
        FileTime built = Files.getLastModifiedTime(jar);
        try {
            Files.setLastModifiedTime(jar, FileTime.fromMillis(Files.getLastModifiedTime(archive).toMillis() + 2000));
            Run rebuilt = sd(dir, "1", "--version");
            assertEquals(0, rebuilt.exit(), rebuilt.stderr());
            assertTrue(rebuilt.javaArgs().contains("-XX:ArchiveClassesAtExit="), rebuilt.javaArgs());
            assertEquals(plain.stdout(), rebuilt.stdout());
            assertEquals(List.of(archive), archives(dir));
        } finally {
            Files.setLastModifiedTime(jar, built);
        }
    }

    @Test
    void aDamagedArchiveIsIgnoredByTheJvm() throws Exception {
        Path dir = tmp.resolve("cds-b");
        Run plain = sd(dir, "0", "tokenize", "--help");
        assertEquals(0, plain.exit(), plain.stderr());
        assertEquals(0, sd(dir, "1", "tokenize", "--help").exit());
        Path archive = dir.resolve("tokenize.jsa");
        assertEquals(List.of(archive), archives(dir));
        byte[] junk = new byte[(int) Files.size(archive)];
        for (int i = 0; i < junk.length; i++) junk[i] = (byte) (i * 31);
        Files.delete(archive); // the JVM writes it read-only
        Files.write(archive, junk);

        Run damaged = sd(dir, "1", "tokenize", "--help");
        assertTrue(damaged.javaArgs().contains("-XX:SharedArchiveFile=" + archive), damaged.javaArgs());
        assertEquals(0, damaged.exit(), damaged.stderr());
        assertEquals(plain.stdout(), damaged.stdout());
        assertEquals(plain.stderr(), damaged.stderr());
    }
}
