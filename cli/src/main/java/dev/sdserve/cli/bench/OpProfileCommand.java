package dev.sdserve.cli.bench;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code sd op-profile DIR}: sums the ONNX Runtime traces in a folder (what {@code sd.runtime.profile-dir} makes a
 * service write, or {@code sd bench}'s {@code work/ort-profiles/branch<n>}) into the bench report's op-level tables.
 */
@Command(name = "op-profile", mixinStandardHelpOptions = true,
        description = {"Sum ONNX Runtime profiles (the JSON traces sessions write with sd.runtime.profile-dir set, or"
                + " sd bench's DIR/work/ort-profiles/branch<n>) per graph: run time, and the kernels' time by kind of"
                + " work, by UNet block and by op type, as Markdown tables. Each session's first run (and its second,"
                + " when four or more ran) is left out."})
public final class OpProfileCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(arity = "1..*", paramLabel = "DIR", description = "Folders holding the traces (*.json).")
    List<Path> dirs;

    @Override
    public Integer call() {
        List<OpProfile> profiles = new ArrayList<>();
        for (Path dir : dirs) {
            if (!Files.isDirectory(dir)) {
                throw new CommandLine.ParameterException(spec.commandLine(), "DIR: not a folder: " + dir);
            }
            List<OpProfile> read = OpProfile.readAll(dir, branchOf(dir));
            if (read.isEmpty()) {
                throw new CommandLine.ParameterException(spec.commandLine(), "DIR: no ONNX Runtime traces (*.json) in " + dir);
            }
            profiles.addAll(read);
        }
        StringBuilder md = new StringBuilder();
        OpProfileMarkdown.tables(md, profiles, p -> Double.NaN, Double.NaN);
        PrintWriter out = spec.commandLine().getOut();
        out.print(md);
        out.flush();
        return 0;
    }

    /** sd bench's folders are named branch0, branch1, …; anything else profiles branch 0's full graph. */
    static int branchOf(Path dir) {
        String name = dir.getFileName() == null ? "" : dir.getFileName().toString();
        return name.matches("branch\\d+") ? Integer.parseInt(name.substring("branch".length())) : 0;
    }
}
