package dev.sdserve.orchestrator.pipeline;

import dev.sdserve.runtime.FloatTensor;

/**
 * SDXL's size micro-conditioning in pixels: original size, crop top-left, target size. A 0 takes the default
 * of diffusers' pipeline: original and target size = the output's height and width, crop (0, 0).
 */
public record SizeConditioning(int originalHeight, int originalWidth, int cropTop, int cropLeft, int targetHeight,
                               int targetWidth) {
    /** Every value at its default: time_ids = (H, W, 0, 0, H, W). */
    public static final SizeConditioning DEFAULT = new SizeConditioning(0, 0, 0, 0, 0, 0);

    /**
     * diffusers' {@code _get_add_time_ids}: (orig_h, orig_w, crop_top, crop_left, target_h, target_w) as float32
     * [rows, 6], the same row for every image and both CFG halves.
     */
    public FloatTensor timeIds(int height, int width, int rows) {
        float[] row = {or(originalHeight, height), or(originalWidth, width), cropTop, cropLeft,
                or(targetHeight, height), or(targetWidth, width)};
        float[] all = new float[rows * row.length];
        for (int r = 0; r < rows; r++) System.arraycopy(row, 0, all, r * row.length, row.length);
        return FloatTensor.of(new long[] {rows, row.length}, all);
    }

    private static int or(int value, int fallback) {
        return value == 0 ? fallback : value;
    }
}
