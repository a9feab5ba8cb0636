package dev.sdserve.runtime;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;

class FloatTensorTest {

    @Test
    void concatLastInterleavesRowsAsTorchCatOnTheLastAxis() {
        FloatTensor a = FloatTensor.of(new long[] {2, 1, 2}, new float[] {1, 2, 3, 4});
        FloatTensor b = FloatTensor.of(new long[] {2, 1, 3}, new float[] {5, 6, 7, 8, 9, 10});
        FloatTensor c = FloatTensor.concatLast(a, b);
        assertArrayEquals(new long[] {2, 1, 5}, c.shape());
        assertArrayEquals(new float[] {1, 2, 5, 6, 7, 3, 4, 8, 9, 10}, c.toArray());
        assertThrows(IllegalArgumentException.class,
                () -> FloatTensor.concatLast(a, FloatTensor.of(new long[] {1, 1, 2}, new float[] {0, 0})));
    }
}
