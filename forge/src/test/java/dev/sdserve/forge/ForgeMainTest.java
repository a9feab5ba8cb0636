package dev.sdserve.forge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The {@code forge} command: exit codes and messages. */
class ForgeMainTest {
    @TempDir
    Path tmp;

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int run(String... args) {
        CommandLine cmd = new CommandLine(new ForgeMain());
        cmd.setOut(new PrintWriter(out, true));
        cmd.setErr(new PrintWriter(err, true));
        return cmd.execute(args);
    }

    @Test
    void forgesAFolderAndPrintsParameterCounts() {
        Path dir = tmp.resolve("my-model");
        assertEquals(0, run("--preset", "sd15", "--scale", "0.05", "--seed", "3", "--out", dir.toString()));
        assertTrue(Files.isRegularFile(dir.resolve("unet/model.onnx")));
        assertTrue(out.toString().contains("unet") && out.toString().contains("parameters"), out.toString());
    }

    @Test
    void badInputGivesAMessageNamingTheField() {
        assertEquals(2, run("--preset", "sd3", "--scale", "1", "--out", tmp.resolve("a").toString()));
        assertTrue(err.toString().contains("preset:"), err.toString());
        assertEquals(2, run("--preset", "sd15", "--scale", "9", "--out", tmp.resolve("b").toString()));
        assertTrue(err.toString().contains("scale:"), err.toString());
        assertEquals(2, run("--preset", "sd15", "--scale", "0.1"));
        assertTrue(err.toString().contains("--out"), err.toString());
    }
}
