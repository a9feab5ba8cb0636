package dev.sdserve.vae;

import dev.sdserve.runtime.FloatTensor;
import dev.sdserve.runtime.SdException;
import java.util.Arrays;

/**
 * The mean of the latent distribution from a VAE encoder's output. Exports differ:
 * <ul>
 *   <li>{@code latent_sample} with {@code latent_channels} channels: already the mean (diffusers' and this
 *   project's exports slice {@code quant_conv}'s output);</li>
 *   <li>{@code latent_parameters} with twice as many: {@code [mean, logvar]} stacked on the channel axis,
 *   so the mean is the first half (DiagonalGaussianDistribution's {@code torch.chunk(parameters, 2, dim=1)}).</li>
 * </ul>
 * The channel count decides, so an output named either way is read correctly.
 */
final class LatentMean {
    /** Output names, in order of preference, when an encoder has several outputs. */
    static final String SAMPLE = "latent_sample";
    static final String PARAMETERS = "latent_parameters";

    private LatentMean() {
    }

    /** The mean, {@code [B, latentChannels, h, w]}, of an encoder output {@code [B, C, h, w]}. */
    static FloatTensor of(String outputName, FloatTensor out, int latentChannels) {
        long[] s = out.shape();
        if (s.length != 4) {
            throw new SdException(SdException.Kind.FAILED_PRECONDITION, "vae_encoder output '" + outputName
                    + "' has shape " + Arrays.toString(s) + "; expected [batch, channels, h, w]");
        }
        if (s[1] == latentChannels) return out;
        if (s[1] == 2L * latentChannels) return firstHalfOfChannels(out);
        throw new SdException(SdException.Kind.FAILED_PRECONDITION, "vae_encoder output '" + outputName + "' has "
                + s[1] + " channels; expected " + latentChannels + " (the mean) or " + 2 * latentChannels
                + " (mean and log-variance)");
    }

    /** Channels {@code [0, C/2)} of every batch row. */
    static FloatTensor firstHalfOfChannels(FloatTensor t) {
        long[] s = t.shape();
        int half = (int) s[1] / 2;
        int plane = (int) (s[2] * s[3]);
        float[] src = t.toArray();
        float[] dst = new float[(int) s[0] * half * plane];
        for (int b = 0; b < s[0]; b++) {
            System.arraycopy(src, b * 2 * half * plane, dst, b * half * plane, half * plane);
        }
        return FloatTensor.of(new long[] {s[0], half, s[2], s[3]}, dst);
    }
}
