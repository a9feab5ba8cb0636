package dev.sdserve.forge;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sdserve.runtime.SdException;
import dev.sdserve.runtime.SharedFixtures;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Sizes and parameter counts, checked against the reference model and the published SD figures. */
class PresetsTest {

    @Test
    void tinySd15TopologyHasExactlyTheReferenceParameterCounts() {
        JsonNode counts = SharedFixtures.json(SharedFixtures.fixtures().resolve("manifest.json")).path("param_counts");
        Map<String, Long> ours = Forge.parameterCounts(ReferenceDims.TINY_SD15);
        assertEquals(counts.path("unet").asLong(), ours.get(Forge.UNET));
        assertEquals(counts.path("text_encoder").asLong(), ours.get(Forge.TEXT_ENCODER));
        assertEquals(counts.path("vae_encoder_part").asLong(), ours.get(Forge.VAE_ENCODER));
        assertEquals(counts.path("vae_decoder_part").asLong(), ours.get(Forge.VAE_DECODER));
    }

    @Test
    void scaleOneIsTheRealStableDiffusion() {
        ModelDims sd15 = Presets.dims("sd15", 1.0);
        assertArrayEquals(new int[] {320, 640, 1280, 1280}, sd15.unet().blockOut());
        assertEquals(768, sd15.unet().crossAttentionDim());
        Map<String, Long> c15 = Forge.parameterCounts(sd15);
        // diffusers' UNet2DConditionModel / transformers' CLIPTextModel / AutoencoderKL of SD 1.5
        assertEquals(859_520_964L, c15.get(Forge.UNET));
        assertEquals(123_060_480L, c15.get(Forge.TEXT_ENCODER));
        assertEquals(83_653_863L, c15.get(Forge.VAE_ENCODER) + c15.get(Forge.VAE_DECODER));

        ModelDims sd21 = Presets.dims("sd21", 1.0);
        assertArrayEquals(new int[] {5, 10, 20, 20}, sd21.unet().heads());
        assertEquals(1024, sd21.unet().crossAttentionDim());
        assertEquals(23, sd21.text().layers());
        Map<String, Long> c21 = Forge.parameterCounts(sd21);
        assertEquals(865_910_724L, c21.get(Forge.UNET));
        assertEquals(340_387_840L, c21.get(Forge.TEXT_ENCODER));
    }

    @Test
    void tinySdxlTopologyHasExactlyTheReferenceParameterCounts() {
        JsonNode counts = ReferenceDims.sdxlManifest().path("params");
        Map<String, Long> ours = Forge.parameterCounts(ReferenceDims.TINY_SDXL);
        assertEquals(counts.path("unet").asLong(), ours.get(Forge.UNET));
        assertEquals(counts.path("text_encoder").asLong(), ours.get(Forge.TEXT_ENCODER));
        assertEquals(counts.path("text_encoder_2").asLong(), ours.get(Forge.TEXT_ENCODER_2));
        assertEquals(counts.path("vae").asLong(), ours.get(Forge.VAE_ENCODER) + ours.get(Forge.VAE_DECODER));
    }

    @Test
    void scaleOneIsSdxlBase() {
        ModelDims xl = Presets.dims("sdxl", 1.0);
        ModelDims.Unet u = xl.unet();
        // stabilityai/stable-diffusion-xl-base-1.0 unet/config.json
        assertArrayEquals(new int[] {320, 640, 1280}, u.blockOut());
        assertArrayEquals(new int[] {5, 10, 20}, u.heads());
        assertArrayEquals(new int[] {0, 2, 10}, u.depth());
        assertEquals(2048, u.crossAttentionDim());
        assertEquals(256, u.textTime().orElseThrow().timeEmbedDim());
        assertEquals(2816, u.textTime().orElseThrow().inputDim());
        assertEquals(List.of(768, 1280), xl.texts().stream().map(ModelDims.Text::hidden).toList());
        assertEquals(List.of(12, 32), xl.texts().stream().map(ModelDims.Text::layers).toList());
        Map<String, Long> c = Forge.parameterCounts(xl);
        // diffusers' UNet2DConditionModel of SDXL base, CLIPTextModel (ViT-L), CLIPTextModelWithProjection (bigG)
        assertEquals(2_567_463_684L, c.get(Forge.UNET));
        assertEquals(123_060_480L, c.get(Forge.TEXT_ENCODER));
        assertEquals(694_659_840L, c.get(Forge.TEXT_ENCODER_2));
        assertEquals(83_653_863L, c.get(Forge.VAE_ENCODER) + c.get(Forge.VAE_DECODER));
        assertEquals(Forge.parameterCounts(xl), Forge.parameterCounts(Presets.dims("sdxl-turbo", 1.0)),
                "Turbo is SDXL's architecture");
    }

    @Test
    void everyScaleKeepsGroupNormAndHeadsValid() {
        for (String preset : Presets.NAMES) {
            for (double x = Presets.MIN_SCALE; x <= Presets.MAX_SCALE; x += 0.037) {
                ModelDims d = Presets.dims(preset, x);
                for (int i = 0; i < d.unet().levels(); i++) {
                    int c = d.unet().blockOut()[i];
                    assertEquals(0, c % 32, preset + " " + x);
                    assertEquals(0, c % d.unet().heads()[i], preset + " " + x);
                }
                for (int c : d.vae().blockOut()) assertEquals(0, c % 32, preset + " " + x);
                for (ModelDims.Text t : d.texts()) {
                    assertEquals(t.hidden(), t.heads() * 64);
                    assertTrue(t.layers() >= 2);
                }
            }
        }
    }

    @Test
    void badPresetOrScaleNamesTheField() {
        SdException p = assertThrows(SdException.class, () -> Presets.dims("sd3", 1.0));
        assertEquals(SdException.Kind.INVALID_ARGUMENT, p.kind());
        assertTrue(p.getMessage().startsWith("preset:"), p.getMessage());
        for (double bad : new double[] {0, -1, 3, Double.NaN}) {
            SdException s = assertThrows(SdException.class, () -> Presets.dims("sd15", bad));
            assertTrue(s.getMessage().startsWith("scale:"), s.getMessage());
        }
    }
}
