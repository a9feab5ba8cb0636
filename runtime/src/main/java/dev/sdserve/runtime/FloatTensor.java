package dev.sdserve.runtime;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.List;

/**
 * An immutable float32 tensor in C order over a direct native-order buffer, so it reaches ONNX Runtime
 * without a copy. Operations return new tensors; nothing mutates the receiver. {@code toString} prints the
 * shape, not the data.
 */
public final class FloatTensor {
    private final long[] shape;
    private final FloatBuffer data;

    private FloatTensor(long[] shape, FloatBuffer data) {
        this.shape = shape.clone();
        long n = elementCount(this.shape);
        if (n != data.capacity()) {
            throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " needs " + n
                    + " elements, buffer has " + data.capacity());
        }
        this.data = data;
    }

    public static long elementCount(long[] shape) {
        long n = 1;
        for (long d : shape) {
            if (d < 0) throw new IllegalArgumentException("negative dimension in " + Arrays.toString(shape));
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    static FloatBuffer allocate(long n) {
        if (n > Integer.MAX_VALUE / 4) throw SdException.exhausted("tensor of " + n + " elements is too large");
        return ByteBuffer.allocateDirect((int) n * 4).order(ByteOrder.nativeOrder()).asFloatBuffer();
    }

    public static FloatTensor zeros(long... shape) {
        return new FloatTensor(shape, allocate(elementCount(shape)));
    }

    /** Copies {@code values} into a new tensor of the given shape. */
    public static FloatTensor of(long[] shape, float[] values) {
        FloatBuffer b = allocate(values.length);
        b.put(values).rewind();
        return new FloatTensor(shape, b);
    }

    /** Copies the remaining floats of {@code src} (its position is not changed). */
    public static FloatTensor copyOf(long[] shape, FloatBuffer src) {
        FloatBuffer s = src.duplicate();
        FloatBuffer b = allocate(s.remaining());
        b.put(s).rewind();
        return new FloatTensor(shape, b);
    }

    /** Takes ownership of a direct buffer that no one else writes to. */
    static FloatTensor adopt(long[] shape, FloatBuffer direct) {
        return new FloatTensor(shape, direct);
    }

    public long[] shape() {
        return shape.clone();
    }

    public int rank() {
        return shape.length;
    }

    public long dim(int axis) {
        return shape[axis];
    }

    public int size() {
        return data.capacity();
    }

    /** A read-only view at position 0. */
    public FloatBuffer buffer() {
        return data.asReadOnlyBuffer().rewind();
    }

    /** The writable direct buffer, for handing to ORT (which does not write to inputs). Package-private. */
    FloatBuffer direct() {
        return data.duplicate().rewind();
    }

    public float get(int flatIndex) {
        return data.get(flatIndex);
    }

    public float[] toArray() {
        float[] out = new float[size()];
        data.duplicate().rewind().get(out);
        return out;
    }

    public FloatTensor reshape(long... newShape) {
        return new FloatTensor(newShape, data.duplicate().rewind());
    }

    /** Rows [from, to) along axis 0. */
    public FloatTensor slice0(int from, int to) {
        if (from < 0 || to > shape[0] || from > to) {
            throw new IllegalArgumentException("slice [" + from + "," + to + ") out of " + this);
        }
        int row = size() / (int) Math.max(shape[0], 1);
        long[] s = shape.clone();
        s[0] = to - from;
        FloatBuffer v = data.duplicate().position(from * row).limit(to * row);
        return copyOf(s, v);
    }

    /** Splits axis 0 into {@code parts} equal pieces. */
    public FloatTensor[] split0(int parts) {
        if (shape[0] % parts != 0) throw new IllegalArgumentException("cannot split " + this + " in " + parts);
        int n = (int) shape[0] / parts;
        FloatTensor[] out = new FloatTensor[parts];
        for (int i = 0; i < parts; i++) out[i] = slice0(i * n, (i + 1) * n);
        return out;
    }

    /** Concatenates along axis 0; all other dimensions must agree. */
    public static FloatTensor concat0(List<FloatTensor> parts) {
        long[] s = parts.get(0).shape.clone();
        long rows = 0;
        for (FloatTensor p : parts) {
            if (p.rank() != s.length || !Arrays.equals(Arrays.copyOfRange(p.shape, 1, p.rank()),
                    Arrays.copyOfRange(s, 1, s.length))) {
                throw new IllegalArgumentException("cannot concat " + p + " with " + parts.get(0));
            }
            rows += p.shape[0];
        }
        s[0] = rows;
        FloatBuffer b = allocate(elementCount(s));
        for (FloatTensor p : parts) b.put(p.data.duplicate().rewind());
        return new FloatTensor(s, b.rewind());
    }

    public FloatTensor concat0(FloatTensor other) {
        return concat0(List.of(this, other));
    }

    /**
     * Concatenates along the last axis (SDXL's two text encoders' hidden states, torch.cat(dim=-1)); all other
     * dimensions must agree.
     */
    public static FloatTensor concatLast(FloatTensor a, FloatTensor b) {
        int r = a.rank();
        if (r == 0 || b.rank() != r || !Arrays.equals(Arrays.copyOf(a.shape, r - 1), Arrays.copyOf(b.shape, r - 1))) {
            throw new IllegalArgumentException("cannot concat " + a + " with " + b + " on the last axis");
        }
        int wa = (int) a.shape[r - 1];
        int wb = (int) b.shape[r - 1];
        long[] s = a.shape.clone();
        s[r - 1] = wa + wb;
        FloatBuffer out = allocate(elementCount(s));
        int rows = wa + wb == 0 ? 0 : (int) (elementCount(s) / (wa + wb));
        for (int i = 0; i < rows; i++) {
            out.put(a.data.duplicate().position(i * wa).limit((i + 1) * wa));
            out.put(b.data.duplicate().position(i * wb).limit((i + 1) * wb));
        }
        return new FloatTensor(s, out.rewind());
    }

    /** this * a. */
    public FloatTensor scale(float a) {
        FloatBuffer b = allocate(size());
        for (int i = 0; i < size(); i++) b.put(i, data.get(i) * a);
        return new FloatTensor(shape, b);
    }

    /** a * this + b * other (elementwise, same shape). */
    public FloatTensor axpby(float a, FloatTensor other, float bCoef) {
        requireSameShape(other);
        FloatBuffer b = allocate(size());
        for (int i = 0; i < size(); i++) b.put(i, a * data.get(i) + bCoef * other.data.get(i));
        return new FloatTensor(shape, b);
    }

    /** Classifier-free guidance: u + g * (c - u), computed as diffusers does. */
    public static FloatTensor guidance(FloatTensor uncond, FloatTensor cond, float g) {
        uncond.requireSameShape(cond);
        FloatBuffer b = allocate(uncond.size());
        for (int i = 0; i < uncond.size(); i++) {
            float u = uncond.data.get(i);
            b.put(i, u + g * (cond.data.get(i) - u));
        }
        return new FloatTensor(uncond.shape, b);
    }

    public boolean allFinite() {
        for (int i = 0; i < size(); i++) {
            if (!Float.isFinite(data.get(i))) return false;
        }
        return true;
    }

    /** Largest |this - other|. */
    public float maxAbsDiff(FloatTensor other) {
        requireSameShape(other);
        float m = 0;
        for (int i = 0; i < size(); i++) m = Math.max(m, Math.abs(data.get(i) - other.data.get(i)));
        return m;
    }

    public void requireSameShape(FloatTensor other) {
        if (!Arrays.equals(shape, other.shape)) {
            throw new IllegalArgumentException("shape mismatch: " + this + " vs " + other);
        }
    }

    @Override
    public String toString() {
        return "FloatTensor" + Arrays.toString(shape);
    }
}
