package dev.sdserve.cli.k8s;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sdserve.runtime.SharedFixtures;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * docs/capacity.md sizes the cached feature of cache branch 0 as [B, block_out_channels[0], H/8, W/8] float32.
 * Checked here against DeepCacheSDHelper's own cached feature in the reference fixtures (torch, tiny-sd15).
 */
class CapacityFiguresTest {
    @Test
    void theBranch0FeatureIsBatchTimesFirstBlockChannelsAtLatentSizeInFloat32() throws IOException {
        Path caseDir = SharedFixtures.fixtures().resolve("unet/deepcache_partial_0");
        JsonNode files = SharedFixtures.json(caseDir.resolve("case.json")).get("files");
        JsonNode sample = files.get("sample_a").get("shape");
        long batch = sample.get(0).asLong();
        long h = sample.get(2).asLong();
        long w = sample.get(3).asLong();
        int c = SharedFixtures.json(SharedFixtures.tinyModel().resolve("unet/config.json"))
                .get("block_out_channels").get(0).asInt();
        long expected = batch * c * h * w * 4;
        assertEquals(expected, Files.size(caseDir.resolve("cache_feature_a.f32")));
        // and so 320 channels for SD 1.5 and SDXL (block_out_channels[0] = 320): 80x the latents' bytes
        assertEquals(c / 4 * Files.size(caseDir.resolve("sample_a.f32")), Files.size(caseDir.resolve("cache_feature_a.f32")));
        assertEquals(java.util.List.of(batch, (long) c, h, w), java.util.stream.StreamSupport
                .stream(files.get("cache_feature_a").get("shape").spliterator(), false).map(JsonNode::asLong).toList());
    }
}
