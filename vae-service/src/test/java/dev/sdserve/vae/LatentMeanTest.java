package dev.sdserve.vae;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.sdserve.runtime.FloatTensor;
import dev.sdserve.runtime.SdException;
import org.junit.jupiter.api.Test;

/** The two encoder output conventions, without a model file. */
class LatentMeanTest {

    /** A [b, c, h, w] tensor whose value encodes its own index: 1000*b + 100*c + 10*y + x. */
    static FloatTensor indexed(int b, int c, int h, int w) {
        float[] v = new float[b * c * h * w];
        int i = 0;
        for (int n = 0; n < b; n++)
            for (int ch = 0; ch < c; ch++)
                for (int y = 0; y < h; y++)
                    for (int x = 0; x < w; x++) v[i++] = 1000 * n + 100 * ch + 10 * y + x;
        return FloatTensor.of(new long[] {b, c, h, w}, v);
    }

    @Test
    void latentParametersMeanIsTheFirstHalfOfTheChannels() {
        // [mean(4), logvar(4)] per row, as DiagonalGaussianDistribution chunks quant_conv's output.
        FloatTensor mean = LatentMean.of(LatentMean.PARAMETERS, indexed(2, 8, 2, 3), 4);
        assertArrayEquals(new long[] {2, 4, 2, 3}, mean.shape());
        int i = 0;
        for (int n = 0; n < 2; n++)
            for (int ch = 0; ch < 4; ch++)
                for (int y = 0; y < 2; y++)
                    for (int x = 0; x < 3; x++) assertEquals(1000 * n + 100 * ch + 10 * y + x, mean.get(i++));
    }

    @Test
    void latentSampleIsAlreadyTheMean() {
        FloatTensor out = indexed(3, 4, 2, 2);
        assertSame(out, LatentMean.of(LatentMean.SAMPLE, out, 4));
    }

    @Test
    void otherChannelCountsAndRanksAreAModelProblem() {
        SdException odd = assertThrows(SdException.class, () -> LatentMean.of("latent_sample", indexed(1, 6, 2, 2), 4));
        assertEquals(SdException.Kind.FAILED_PRECONDITION, odd.kind());
        assertEquals("vae_encoder output 'latent_sample' has 6 channels; expected 4 (the mean) or 8 (mean and"
                + " log-variance)", odd.getMessage());
        SdException rank = assertThrows(SdException.class,
                () -> LatentMean.of("out", FloatTensor.zeros(1, 8, 4), 4));
        assertEquals(SdException.Kind.FAILED_PRECONDITION, rank.kind());
    }
}
