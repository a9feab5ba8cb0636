package dev.sdserve.vae;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.sdserve.runtime.FloatTensor;
import org.junit.jupiter.api.Test;

class VaeInputsTest {

    @Test
    void chunkSizeDefaultsToOneAndIsCappedByTheBatch() {
        assertEquals(1, VaeInputs.chunkSize(0, 3));
        assertEquals(2, VaeInputs.chunkSize(2, 3));
        assertEquals(3, VaeInputs.chunkSize(8, 3));
    }

    @Test
    void nonFiniteValuesAreCountedAndLocated() {
        float[] v = new float[2 * 3 * 4];
        v[1 * 12 + 2 * 4 + 1] = Float.POSITIVE_INFINITY;
        v[23] = Float.NaN;
        assertEquals("2 of 24 values are not finite (first: Infinity at [1, 2, 1])",
                VaeInputs.describeNonFinite(FloatTensor.of(new long[] {2, 3, 4}, v)));
        assertNull(VaeInputs.describeNonFinite(FloatTensor.zeros(2, 3, 4)));
        assertArrayEquals(new long[] {1, 0, 2}, VaeInputs.index(new long[] {2, 3, 4}, 14));
    }

    @Test
    void limitsAreChecked() {
        VaeLimits small = new VaeLimits(128 * 64, 2);
        VaeInputs.checkImageSize("x", 64, 128, small);
        VaeStageTest.assertInvalid("x: image is 128x128 = 16384 pixels, more than sd.vae.max-pixels = 8192",
                () -> VaeInputs.checkImageSize("x", 128, 128, small));
        VaeStageTest.assertInvalid("x: batch of 3 images is more than sd.vae.max-batch = 2",
                () -> VaeInputs.checkBatch("x", 3, small));
        VaeStageTest.assertInvalid("x: batch is empty", () -> VaeInputs.checkBatch("x", 0, small));
    }
}
