package dev.sdserve.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.sdserve.proto.v1.GenerateResult;
import dev.sdserve.proto.v1.GeneratedImage;
import dev.sdserve.proto.v1.StageTiming;
import dev.sdserve.proto.v1.StepMode;
import dev.sdserve.proto.v1.StepProgress;
import dev.sdserve.proto.v1.Timings;
import dev.sdserve.runtime.FloatTensor;
import dev.sdserve.runtime.Png;
import dev.sdserve.runtime.SdException;
import dev.sdserve.runtime.TensorCodec;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The grid PNG's parameters chunk, the stacked latents, the progress line and the profile table. */
class OutputFormatTest {
    static final String PARAMETERS = "A photo of an astronaut riding a horse on Mars.\nNegative prompt: \n"
            + "Steps: 50, Sampler: PNDM, CFG scale: 7.5, Seed: 42, Size: 64x64, Model: tiny-sd15, DeepCache: interval 3 branch 0 uniform";

    static GeneratedImage image(int shade, String ownParameters, FloatTensor latents) {
        Png.Rgb rgb = ImageGridTest.solid(64, 64, shade, shade, shade);
        byte[] png = ownParameters == null ? Png.encode(rgb) : Png.encode(rgb, Map.of("parameters", ownParameters));
        GeneratedImage.Builder b = GeneratedImage.newBuilder().setPng(ByteString.copyFrom(png)).setWidth(64).setHeight(64);
        if (latents != null) b.setLatents(TensorCodec.toProto(latents));
        return b.build();
    }

    @Test
    void gridCarriesTheServersParametersText() {
        GenerateResult r = GenerateResult.newBuilder().addImages(image(10, null, null)).addImages(image(200, null, null))
                .setParameters(PARAMETERS).build();
        byte[] png = GenerationRun.gridPng(r, 1);
        Png.Rgb grid = Png.decode(png, "grid", 1 << 20);
        assertEquals(2 * 80, grid.width());
        assertEquals(80, grid.height());
        assertEquals(10, ImageGridTest.pixel(grid, 8, 8)[0]);
        assertEquals(200, ImageGridTest.pixel(grid, 80 + 8, 8)[0]);
        assertEquals(0, ImageGridTest.pixel(grid, 80, 8)[0]);
        assertEquals(Map.of("parameters", PARAMETERS), Png.readText(png));
    }

    @Test
    void parametersFallBackToTheFirstImagesChunk() {
        GenerateResult r = GenerateResult.newBuilder().addImages(image(1, PARAMETERS, null)).build();
        assertEquals(PARAMETERS, GenerationRun.parameters(r));
        String cjk = "宇宙飛行士\nNegative prompt: \nSteps: 5";
        GenerateResult unicode = GenerateResult.newBuilder().addImages(image(1, null, null)).setParameters(cjk).build();
        assertEquals(cjk, Png.readText(GenerationRun.gridPng(unicode, 1)).get("parameters"), "non-Latin prompts survive");
    }

    @Test
    void latentsAreStackedInImageOrder() {
        FloatTensor a = FloatTensor.of(new long[] {1, 4, 1, 2}, new float[] {1, 2, 3, 4, 5, 6, 7, 8});
        FloatTensor b = FloatTensor.of(new long[] {1, 4, 1, 2}, new float[] {-1, -2, -3, -4, -5, -6, -7, -8});
        GenerateResult r = GenerateResult.newBuilder().addImages(image(0, null, a)).addImages(image(0, null, b)).build();
        FloatTensor all = GenerationRun.latents(r);
        assertArrayEquals(new long[] {2, 4, 1, 2}, all.shape());
        assertEquals(1f, all.get(0));
        assertEquals(-8f, all.get(15));
        GenerateResult missing = GenerateResult.newBuilder().addImages(image(0, null, a)).addImages(image(0, null, null)).build();
        SdException e = assertThrows(SdException.class, () -> GenerationRun.latents(missing));
        assertTrue(e.getMessage().contains("image 1"), e.getMessage());
    }

    @Test
    void progressBarShowsItersPerSecondOfStepTime() {
        assertEquals(" 0/21 [------------------------------] 0.00 it/s", ProgressReporter.bar(0, 21, 0));
        assertEquals("10/20 [###############---------------] 4.00 it/s", ProgressReporter.bar(10, 20, 4));
        assertEquals("51/51 [##############################] 12.35 it/s", ProgressReporter.bar(51, 51, 12.345));

        StringWriter quiet = new StringWriter();
        ProgressReporter notVerbose = new ProgressReporter(new PrintWriter(quiet, true), false, false);
        StringWriter lines = new StringWriter();
        ProgressReporter verbose = new ProgressReporter(new PrintWriter(lines, true), false, true);
        for (int i = 0; i < 4; i++) {
            StepProgress p = StepProgress.newBuilder().setIndex(i).setTotal(4).setMs(250).setTimestep(900 - 100 * i)
                    .setMode(i % 2 == 0 ? StepMode.FULL : StepMode.SHALLOW).setCacheHit(i % 2 == 1).build();
            notVerbose.onProgress(p);
            verbose.onProgress(p);
        }
        assertEquals("", quiet.toString(), "not a terminal and not --verbose: no progress output");
        String[] out = lines.toString().split("\n");
        assertEquals(4, out.length);
        assertEquals("step 1/4 t=900.0 FULL 250.0 ms (4.00 it/s)", out[0].strip());
        assertEquals("step 2/4 t=800.0 SHALLOW 250.0 ms (4.00 it/s)", out[1].strip());
    }

    @Test
    void profileTableListsEveryStage() {
        Timings t = Timings.newBuilder()
                .addStages(StageTiming.newBuilder().setStage("text_encode").setCount(1).setTotalMs(12.34).setMeanMs(12.34))
                .addStages(StageTiming.newBuilder().setStage("unet_shallow").setCount(14).setTotalMs(140).setMeanMs(10))
                .build();
        String[] rows = ProfileTable.format(t).split("\n");
        assertEquals(3, rows.length);
        assertTrue(rows[0].matches("stage\\s+calls\\s+total ms\\s+mean ms"), rows[0]);
        assertTrue(rows[1].matches("text_encode\\s+1\\s+12\\.3\\s+12\\.34"), rows[1]);
        assertTrue(rows[2].matches("unet_shallow\\s+14\\s+140\\.0\\s+10\\.00"), rows[2]);
        assertTrue(ProfileTable.format(Timings.getDefaultInstance()).contains("no timings"));
    }
}
