package dev.sdserve.orchestrator.pipeline;

import dev.sdserve.orchestrator.noise.TorchGenerator;
import dev.sdserve.runtime.FloatTensor;
import java.util.ArrayList;
import java.util.List;

/**
 * The initial N(0,1) latents. The documented generator is PyTorch's CPU generator: image i of a batch is
 * {@code torch.randn([1, 4, h, w], generator=torch.Generator("cpu").manual_seed(seed + i))}, so every image
 * can be reproduced alone from its reported seed, and a diffusers run with the same seed gives the same noise.
 */
public final class InitialNoise {
    private InitialNoise() {
    }

    /** Draws [n, c, h, w], image i from seed + i. */
    public static FloatTensor draw(long seed, long[] shape) {
        List<FloatTensor> images = new ArrayList<>();
        for (int i = 0; i < shape[0]; i++) {
            images.add(new TorchGenerator(seed + i).randn(1, shape[1], shape[2], shape[3]));
        }
        return FloatTensor.concat0(images);
    }
}
