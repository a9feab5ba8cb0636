package dev.sdserve.cli.bench;

import dev.sdserve.runtime.Png;
import dev.sdserve.runtime.SdException;

/**
 * Peak signal-to-noise ratio of an 8-bit image against a reference: 10 log10(255^2 / MSE) over all pixels and
 * channels. Identical images (MSE 0) are reported as {@value #IDENTICAL_DB} dB, so the figure stays finite in
 * JSON; any real difference at these sizes scores far below that.
 */
final class Psnr {
    static final double IDENTICAL_DB = 100;

    private Psnr() {
    }

    static double db(Png.Rgb image, Png.Rgb reference) {
        SdException.require(image.width() == reference.width() && image.height() == reference.height(),
                "PSNR: images of different sizes " + image.width() + "x" + image.height() + " and "
                        + reference.width() + "x" + reference.height());
        byte[] a = image.rgb();
        byte[] b = reference.rgb();
        double sum = 0;
        for (int i = 0; i < a.length; i++) {
            int d = (a[i] & 0xff) - (b[i] & 0xff);
            sum += (double) d * d;
        }
        double mse = sum / a.length;
        return mse == 0 ? IDENTICAL_DB : Math.min(IDENTICAL_DB, 10 * Math.log10(255.0 * 255.0 / mse));
    }
}
