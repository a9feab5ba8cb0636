package dev.sdserve.forge;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sdserve.runtime.SdException;
import dev.sdserve.runtime.SharedFixtures;
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
    void everyScaleKeepsGroupNormAndHeadsValid() {
        for (String preset : new String[] {"sd15", "sd21"}) {
            for (double x = Presets.MIN_SCALE; x <= Presets.MAX_SCALE; x += 0.037) {
                ModelDims d = Presets.dims(preset, x);
                for (int i = 0; i < 4; i++) {
                    int c = d.unet().blockOut()[i];
                    assertEquals(0, c % 32, preset + " " + x);
                    assertEquals(0, c % d.unet().heads()[i], preset + " " + x);
                    assertEquals(0, d.vae().blockOut()[i] % 32, preset + " " + x);
                }
                assertEquals(d.text().hidden(), d.text().heads() * 64);
                assertTrue(d.text().layers() >= 2);
            }
        }
    }

    @Test
    void badPresetOrScaleNamesTheField() {
        SdException p = assertThrows(SdException.class, () -> Presets.dims("sdxl", 1.0));
        assertEquals(SdException.Kind.INVALID_ARGUMENT, p.kind());
        assertTrue(p.getMessage().startsWith("preset:"), p.getMessage());
        for (double bad : new double[] {0, -1, 3, Double.NaN}) {
            SdException s = assertThrows(SdException.class, () -> Presets.dims("sd15", bad));
            assertTrue(s.getMessage().startsWith("scale:"), s.getMessage());
        }
    }
}
