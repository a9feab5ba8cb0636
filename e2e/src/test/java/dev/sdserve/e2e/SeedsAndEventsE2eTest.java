package dev.sdserve.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sdserve.proto.v1.DenoiserGrpc;
import dev.sdserve.proto.v1.DescribeRequest;
import dev.sdserve.proto.v1.GenerateRequest;
import dev.sdserve.proto.v1.ImageGenerationGrpc;
import dev.sdserve.proto.v1.ListModelsRequest;
import dev.sdserve.proto.v1.ModelInfo;
import dev.sdserve.runtime.FloatTensor;
import dev.sdserve.runtime.Png;
import dev.sdserve.runtime.SharedFixtures;
import dev.sdserve.runtime.TensorCodec;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Seeds, batches and events through the running services: seed 42 alone reproduces the reference run
 * pndm_p1_dc1 (the documented generator is torch's), image i of a batch is the image of seed + i generated
 * alone, previews come every k calls, and ListModels describes the tiny model.
 */
class SeedsAndEventsE2eTest {
    private static final String P1 = "A photo of an astronaut riding a horse on Mars.";

    private static GenerateRequest p1(long seed, int n) {
        return GenerateRequest.newBuilder().setPrompt(P1).setSteps(20).setSeed(seed).setNImages(n)
                .setDecodingBatchSize(2).setPreviewInterval(7).setReturnLatents(true).build();
    }

    @Test
    void seedsReproduceTheReferenceAndEachImageAlone() {
        ServiceCluster cluster = Cluster.get();
        Generations batch = Generations.run(cluster, p1(42, 2));
        Generations alone = Generations.run(cluster, p1(43, 1));

        FloatTensor ref = SharedFixtures.tensor(SharedFixtures.fixtures().resolve("cases/pndm_p1_dc1/latents_final.f32"),
                1, 4, 32, 32);
        float seed42 = latents(batch, 0).maxAbsDiff(ref);
        float seed43 = latents(batch, 1).maxAbsDiff(latents(alone, 0));
        Results.append(String.format(Locale.ROOT, "seed 42 vs pndm_p1_dc1: max |latent diff| %.3e; "
                + "image 1 of a batch vs seed 43 alone: %.3e", seed42, seed43));
        assertTrue(seed42 <= 1e-3f, "seed 42 differs from the reference by " + seed42);
        assertTrue(seed43 <= 1e-3f, "image 1 (seed 43) differs from seed 43 alone by " + seed43);
        assertEquals(List.of(42L, 43L), batch.result().getImagesList().stream().map(i -> i.getSeed()).toList());
        String text = Png.readText(batch.result().getImages(1).getPng().toByteArray()).get("parameters");
        assertTrue(text.contains("Seed: 43"), text);

        assertEquals(3, batch.previews().size(), "21 calls, a preview every 7");
        Png.Rgb preview = Png.decode(batch.previews().get(0), "preview", 1 << 20);
        assertEquals(32, preview.width());
        assertEquals(64, preview.height(), "two 32x32 latents stacked");
    }

    @Test
    void listModelsDescribesTheTinyModel() {
        ServiceCluster cluster = Cluster.get();
        // Describe loads tiny-sd15's UNet in unet-service; ListModels then reports it loaded
        DenoiserGrpc.newBlockingStub(cluster.channel(ServiceCluster.Service.UNET)).withDeadlineAfter(2, TimeUnit.MINUTES)
                .describe(DescribeRequest.newBuilder().setModel("tiny-sd15").build());
        ModelInfo m = ImageGenerationGrpc.newBlockingStub(cluster.channel(ServiceCluster.Service.ORCHESTRATOR))
                .listModels(ListModelsRequest.getDefaultInstance()).getModelsList().stream()
                .filter(i -> i.getName().equals("tiny-sd15")).findFirst().orElseThrow();
        assertTrue(m.getLoaded(), "tiny-sd15 is loaded in unet-service: " + m);
        assertEquals("PNDMScheduler", m.getDefaultScheduler());
        assertEquals(256, m.getNativeWidth());
        assertEquals("float32", m.getDtype());
    }

    private static FloatTensor latents(Generations g, int i) {
        return TensorCodec.fromProto(g.result().getImages(i).getLatents(), "latents");
    }
}
