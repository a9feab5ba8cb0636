package dev.sdserve.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sdserve.proto.v1.DeepCacheParams;
import dev.sdserve.proto.v1.GenerateRequest;
import dev.sdserve.proto.v1.SizeConditioning;
import dev.sdserve.runtime.FloatTensor;
import dev.sdserve.runtime.SdException;
import dev.sdserve.runtime.TensorCodec;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import picocli.CommandLine;

/** Every flag of every subcommand parses, defaults are mlx-examples', and bad values are usage errors (exit 2). */
class CommandParsingTest {
    @TempDir
    Path tmp;

    @SuppressWarnings("unchecked")
    static <T> T parse(String... args) {
        CommandLine.ParseResult r = SdCli.commandLine().parseArgs(args);
        return (T) r.subcommand().commandSpec().userObject();
    }

    @Test
    void txt2imageDefaultsAreMlxExamples() {
        Txt2ImageCommand c = parse("txt2image", "a prompt");
        GenerationOptions o = c.options;
        assertEquals("a prompt", c.prompt);
        assertEquals("", o.model);
        assertEquals(4, o.nImages);
        assertEquals(1, o.nRows);
        assertNull(o.steps, "the model's default steps (mlx's 50 on SD 1.x/2.x)");
        assertNull(o.cfg, "the model's default guidance (mlx's 7.5 on SD 1.x/2.x)");
        assertEquals("", o.negativePrompt);
        assertEquals("", o.prompt2);
        assertEquals("", o.negativePrompt2);
        assertEquals(1, o.decodingBatchSize);
        assertNull(o.seed);
        assertEquals(Path.of("out.png"), o.output);
        assertFalse(o.verbose);
        assertNull(o.height);
        assertNull(o.width);
        assertNull(o.scheduler);
        assertNull(o.latents);
        assertNull(o.saveLatents);
        assertFalse(o.profile);
        assertEquals(0, o.preview);
        DeepCacheOptions d = c.deepCache;
        assertEquals(1, d.cacheInterval);
        assertEquals(0, d.branch());
        assertTrue(d.uniform);
        assertEquals(15.0, d.center);
        assertEquals(1.4, d.pow);
        assertNull(c.options.orchestrator);
    }

    @Test
    void everyTxt2imageFlagParsesIntoTheRequest() {
        Txt2ImageCommand c = parse("txt2image", "an astronaut", "--model", "tiny-sd15", "--n_images", "6", "--n_rows", "2",
                "--steps", "20", "--cfg", "3.5", "--negative_prompt", "blurry", "--decoding_batch_size", "3", "--seed", "42",
                "--output", "grid.png", "--verbose", "--height", "320", "--width", "448", "--scheduler", "euler_a",
                "--save-latents", "final.npy", "--profile", "--preview", "5", "--cache_interval", "3",
                "--cache_branch_id", "1", "--no-uniform", "--center", "10", "--pow", "2.0", "--orchestrator", "h:1",
                "--prompt_2", "oil painting", "--negative_prompt_2", "grainy", "--original_size", "1024,768",
                "--crops_coords_top_left", "16,8", "--target_size", "512,384");
        GenerationOptions o = c.options;
        o.validate(new CommandLine(c));
        c.deepCache.validate(new CommandLine(c));
        assertTrue(o.verbose);
        assertEquals(Path.of("grid.png"), o.output);
        assertEquals(Path.of("final.npy"), o.saveLatents);
        assertTrue(o.profile);
        assertEquals("h:1", c.options.orchestrator);
        assertEquals(Path.of("grid.preview.png"), o.previewPath());

        GenerateRequest r = o.request(c.prompt, c.deepCache).build();
        assertEquals("an astronaut", r.getPrompt());
        assertEquals("tiny-sd15", r.getModel());
        assertEquals(6, r.getNImages());
        assertEquals(20, r.getSteps());
        assertEquals(3.5, r.getGuidance());
        assertEquals("blurry", r.getNegativePrompt());
        assertEquals(3, r.getDecodingBatchSize());
        assertEquals(42, r.getSeed());
        assertEquals(320, r.getHeight());
        assertEquals(448, r.getWidth());
        assertEquals("euler_a", r.getScheduler());
        assertTrue(r.getReturnLatents());
        assertEquals(5, r.getPreviewInterval());
        assertEquals(DeepCacheParams.newBuilder().setCacheInterval(3).setCacheBranchId(1).setNonUniform(true)
                .setCenter(10).setPower(2.0).build(), r.getDeepcache());
        assertFalse(r.hasInitImage());
        assertFalse(r.hasInitialLatents());
        assertEquals("oil painting", r.getPrompt2());
        assertEquals("grainy", r.getNegativePrompt2());
        assertEquals(SizeConditioning.newBuilder().setOriginalHeight(1024).setOriginalWidth(768).setCropTop(16)
                .setCropLeft(8).setTargetHeight(512).setTargetWidth(384).build(), r.getSizeConditioning());
    }

    @Test
    void shortVerboseFlag() {
        Txt2ImageCommand c = parse("txt2image", "p", "-v");
        assertTrue(c.options.verbose);
    }

    @Test
    void defaultRequestSendsMlxDefaultsAndARandomSeed() {
        Txt2ImageCommand c = parse("txt2image", "p");
        GenerateRequest r = c.options.request(c.prompt, c.deepCache).build();
        assertEquals(4, r.getNImages());
        assertEquals(0, r.getSteps(), "0 = the model's default steps");
        assertFalse(r.hasGuidance(), "absent = the model's default guidance");
        assertEquals("", r.getPrompt2());
        assertFalse(r.hasSizeConditioning());
        assertTrue(r.hasSeed(), "a random seed is chosen on the client so it can be printed");
        assertTrue(r.getSeed() >= 0 && r.getSeed() < (1L << 32));
        assertEquals(0, r.getHeight(), "0 = the model's native size");
        assertEquals("", r.getScheduler(), "empty = the model's scheduler");
        assertEquals(1, r.getDeepcache().getCacheInterval());
        assertFalse(r.getDeepcache().getNonUniform());
        assertFalse(r.getReturnLatents());
    }

    @ParameterizedTest
    @CsvSource({"0, 2", "1, 5", "2, 8", "3, 11"})
    void cacheLayerIdIsBranch3MPlus2(int layer, int branch) {
        Txt2ImageCommand c = parse("txt2image", "p", "--cache_layer_id", String.valueOf(layer));
        c.deepCache.validate(new CommandLine(c));
        assertEquals(branch, c.deepCache.branch());
        assertEquals(branch, c.deepCache.toProto().getCacheBranchId());
    }

    @Test
    void saveLatentsHasBothSpellings() {
        Txt2ImageCommand dash = parse("txt2image", "p", "--save-latents", "a.npy");
        Txt2ImageCommand underscore = parse("txt2image", "p", "--save_latents", "b.npy");
        assertEquals(Path.of("a.npy"), dash.options.saveLatents);
        assertEquals(Path.of("b.npy"), underscore.options.saveLatents);
    }

    @Test
    void uniformIsNegatableAndOnByDefault() {
        Txt2ImageCommand on = parse("txt2image", "p", "--uniform");
        Txt2ImageCommand off = parse("txt2image", "p", "--no-uniform");
        assertTrue(on.deepCache.uniform);
        assertFalse(off.deepCache.uniform);
        assertTrue(off.deepCache.toProto().getNonUniform());
        assertFalse(on.deepCache.toProto().getNonUniform());
    }

    @Test
    void image2imageHasEveryGenerationFlagAndStrength() {
        Image2ImageCommand d = parse("image2image", "in.png", "p");
        assertEquals(0.9, d.strength);
        assertEquals(Path.of("in.png"), d.image);
        assertEquals(4, d.options.nImages);
        Image2ImageCommand c = parse("image2image", "in.jpg", "a prompt", "--strength", "0.6", "--n_images", "2",
                "--n_rows", "2", "--steps", "30", "--cfg", "5", "--cache_layer_id", "1", "--latents", "noise.npy",
                "--save_latents", "out.npy", "--height", "256", "--width", "256", "--scheduler", "ddim");
        for (String karras : new String[] {"dpmpp_2m_karras", "euler_karras", "lms_karras"}) {
            Txt2ImageCommand k = parse("txt2image", "p", "--scheduler", karras);
            k.options.validate(new CommandLine(k));
            assertEquals(karras, k.options.request(k.prompt, k.deepCache).build().getScheduler());
        }
        assertEquals(0.6, c.strength);
        assertEquals("a prompt", c.prompt);
        assertEquals(Path.of("noise.npy"), c.options.latents);
        assertEquals(5, c.deepCache.branch());
        assertEquals("ddim", c.options.scheduler);
    }

    @Test
    void tokenizeAndHealthParse() {
        TokenizeCommand t = parse("tokenize", "a cat", "--model", "tiny-sd15", "--text-encoder", "h:2");
        assertEquals("a cat", t.prompt);
        assertEquals("tiny-sd15", t.model);
        assertEquals("h:2", t.textEncoder);
        assertEquals("", ((TokenizeCommand) parse("tokenize", "x")).model);
        HealthCommand h = parse("health", "50051", "50052", "--wait", "3", "--host", "::1");
        assertEquals(List.of(50051, 50052), h.ports);
        assertEquals(3.0, h.waitSeconds);
        assertEquals("::1", h.host);
    }

    @Test
    void latentsOverrideTheSeedAndFixTheSize() throws Exception {
        Path npy = tmp.resolve("init.npy");
        float[] values = new float[2 * 4 * 5 * 6];
        for (int i = 0; i < values.length; i++) values[i] = i * 0.25f - 3;
        Npy.write(npy, FloatTensor.of(new long[] {2, 4, 5, 6}, values));
        Txt2ImageCommand c = parse("txt2image", "p", "--n_images", "2", "--latents", npy.toString(), "--seed", "7");
        GenerateRequest r = c.options.request(c.prompt, c.deepCache).build();
        assertFalse(r.hasSeed(), "--latents overrides --seed");
        assertEquals(40, r.getHeight());
        assertEquals(48, r.getWidth());
        FloatTensor sent = TensorCodec.fromProto(r.getInitialLatents(), "initial_latents");
        assertArrayEquals(new long[] {2, 4, 5, 6}, sent.shape());
        assertArrayEquals(values, sent.toArray());

        Txt2ImageCommand wrongCount = parse("txt2image", "p", "--latents", npy.toString());
        SdException e = assertThrows(SdException.class, () -> wrongCount.options.request("p", wrongCount.deepCache));
        assertTrue(e.getMessage().contains("--latents: shape [2, 4, 5, 6] does not match [4, 4, H/8, W/8]"), e.getMessage());
        Txt2ImageCommand wrongSize = parse("txt2image", "p", "--n_images", "2", "--height", "64", "--latents", npy.toString());
        e = assertThrows(SdException.class, () -> wrongSize.options.request("p", wrongSize.deepCache));
        assertTrue(e.getMessage().contains("[2, 4, 8, W/8]"), e.getMessage());
    }

    /** Runs the command line as main would, capturing stderr; returns exit code and stderr. */
    static String[] run(String... args) {
        return run(SdCli.commandLine(), args);
    }

    static String[] run(CommandLine cl, String... args) {
        StringWriter err = new StringWriter();
        StringWriter out = new StringWriter();
        int code = cl.setErr(new PrintWriter(err, true)).setOut(new PrintWriter(out, true)).execute(args);
        return new String[] {String.valueOf(code), err.toString(), out.toString()};
    }

    /** main's one-subcommand command line answers help, version and usage errors exactly as the full one. */
    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "txt2image --help", "txt2image -V", "txt2image p --steps abc", "txt2image", "txt2image p --bogus 1",
        "image2image --help", "image2image x.png", "tokenize --help", "tokenize", "tokenize a b",
        "health --help", "health", "health abc", "status --help", "status x:y"})
    void oneSubcommandCommandLineAnswersAsTheFullOne(String line) {
        String[] args = line.split(" ");
        String[] full = run(SdCli.commandLine(), args);
        String[] lean = run(SdCli.commandLine(args[0]), args);
        assertEquals(Arrays.asList(full), Arrays.asList(lean), line);
        assertTrue(SdCli.commandLine(args[0]).getSubcommands().size() == 1);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "txt2image p --steps abc | --steps",
        "txt2image p --cfg high | --cfg",
        "txt2image p --seed 1.5 | --seed",
        "txt2image p --bogus 1 | --bogus",
        "txt2image | PROMPT",
        "txt2image p --n_images 0 | --n_images must be >= 1",
        "txt2image p --n_images 3 --n_rows 2 | --n_images 3 must be a multiple of --n_rows 2",
        "txt2image p --n_rows 0 | --n_rows",
        "txt2image p --steps 0 | --steps must be in 1..1000",
        "txt2image p --cfg -1 | --cfg must be",
        "txt2image p --decoding_batch_size 0 | --decoding_batch_size",
        "txt2image p --height 100 | --height must be a positive multiple of 64",
        "txt2image p --width 0 | --width must be a positive multiple of 64",
        "txt2image p --scheduler plms | --scheduler must be one of",
        "txt2image p --scheduler ddim_karras | --scheduler must be one of",
        "txt2image p --cache_interval 0 | --cache_interval must be >= 1",
        "txt2image p --cache_branch_id 12 | --cache_branch_id must be in 0..11",
        "txt2image p --cache_branch_id -1 | --cache_branch_id must be in 0..11",
        "txt2image p --cache_layer_id 4 | --cache_layer_id must be in 0..3",
        "txt2image p --cache_branch_id 0 --cache_layer_id 1 | mutually exclusive",
        "txt2image p --pow 0 | --pow",
        "txt2image p --center -2 | --center",
        "txt2image p --preview -1 | --preview",
        "txt2image p --original_size 1024 | --original_size takes two numbers",
        "txt2image p --target_size 1,2,3 | --target_size takes two numbers",
        "txt2image p --crops_coords_top_left -1,0 | --crops_coords_top_left takes two numbers",
        "image2image in.png p --strength 0 | --strength must be in (0, 1]",
        "image2image in.png p --strength 1.5 | --strength must be in (0, 1]",
        "image2image in.png | PROMPT",
        "tokenize | PROMPT",
        "health | PORT",
        "nosuchcommand | nosuchcommand",
    })
    void badValuesAreUsageErrors(String args, String expected) {
        String[] r = run(args.isBlank() ? new String[0] : args.strip().split("\\s+"));
        assertEquals("2", r[0], "exit code of " + args + "; stderr: " + r[1]);
        assertTrue(r[1].contains(expected.strip()), "stderr of " + args + ": " + r[1]);
    }

    @Test
    void helpListsEveryMlxFlag() {
        String[] r = run("txt2image", "--help");
        assertEquals("0", r[0]);
        for (String flag : List.of("--model", "--n_images", "--n_rows", "--steps", "--cfg", "--negative_prompt",
                "--decoding_batch_size", "--seed", "--output", "--verbose", "--height", "--width", "--scheduler",
                "--cache_interval", "--cache_branch_id", "--cache_layer_id", "--[no-]uniform", "--center", "--pow",
                "--latents", "--save-latents, --save_latents", "--profile", "--prompt_2", "--negative_prompt_2",
                "--original_size", "--crops_coords_top_left", "--target_size")) {
            assertTrue(r[2].contains(flag), flag + " missing from help:\n" + r[2]);
        }
        assertTrue(run("image2image", "--help")[2].contains("--strength"));
        assertEquals("0", run("forge", "--help")[0], "sd forge is wired to the forge module's command");
    }
}
