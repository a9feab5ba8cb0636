package dev.sdserve.cli;

import dev.sdserve.runtime.FloatTensor;
import dev.sdserve.runtime.SdException;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * NumPy {@code .npy} files of little-endian float32 ({@code <f4}) in C order: what {@code --latents} reads
 * and {@code --save-latents} writes, so that numpy users can hand arrays in and out with
 * {@code np.load}/{@code np.save}. Only that dtype is accepted; anything else is an INVALID_ARGUMENT that
 * names the flag and says how to convert. Format: the NEP 1 header (magic, version, a Python dict literal).
 */
public final class Npy {
    private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
    private static final Pattern DESCR = Pattern.compile("'descr'\\s*:\\s*'([^']*)'");
    private static final Pattern FORTRAN = Pattern.compile("'fortran_order'\\s*:\\s*(True|False)");
    private static final Pattern SHAPE = Pattern.compile("'shape'\\s*:\\s*\\(([^)]*)\\)");
    /** numpy pads the header so the data starts on this boundary. */
    private static final int ALIGN = 64;

    private Npy() {
    }

    /** Reads a {@code <f4} C-order array; {@code field} (the flag) names the file in error messages. */
    public static FloatTensor read(Path file, String field) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw SdException.notFound(field + ": no such file " + file);
        } catch (IOException e) {
            throw SdException.invalid(field + ": cannot read " + file + ": " + e.getMessage());
        }
        return parse(ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN), field + " (" + file + ")");
    }

    static FloatTensor parse(ByteBuffer in, String what) {
        SdException.require(in.remaining() >= 10 && Arrays.equals(take(in, 6), MAGIC),
                what + ": not a .npy file (no \\x93NUMPY magic)");
        int major = in.get() & 0xFF;
        in.get(); // minor version: no meaning for the fields we read
        SdException.require(major >= 1 && major <= 3, what + ": unsupported .npy version " + major);
        SdException.require(in.remaining() >= (major == 1 ? 2 : 4), what + ": truncated header");
        long headerLen = major == 1 ? in.getShort() & 0xFFFF : in.getInt() & 0xFFFFFFFFL;
        SdException.require(headerLen <= in.remaining(), what + ": truncated header");
        String header = new String(take(in, (int) headerLen),
                major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
        String descr = group(DESCR, header, what, "descr");
        SdException.require(descr.equals("<f4"), what + ": dtype '" + descr
                + "' is not little-endian float32; save it with arr.astype('<f4')");
        SdException.require(group(FORTRAN, header, what, "fortran_order").equals("False"),
                what + ": Fortran-order arrays are not supported; save np.ascontiguousarray(arr)");
        long[] shape = shape(group(SHAPE, header, what, "shape"), what);
        long n = FloatTensor.elementCount(shape);
        SdException.require(in.remaining() == n * 4, what + ": shape " + Arrays.toString(shape) + " needs "
                + n * 4 + " bytes of data, the file has " + in.remaining());
        return FloatTensor.copyOf(shape, in.slice().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer());
    }

    /** Writes {@code t} as a version 1.0 {@code <f4} C-order .npy file, replacing any existing file. */
    public static void write(Path file, FloatTensor t) throws IOException {
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) Files.createDirectories(parent);
        try (OutputStream out = Files.newOutputStream(file)) {
            out.write(header(t.shape()));
            ByteBuffer data = ByteBuffer.allocate(t.size() * 4).order(ByteOrder.LITTLE_ENDIAN);
            data.asFloatBuffer().put(t.buffer());
            out.write(data.array());
        }
    }

    static byte[] header(long[] shape) {
        StringBuilder dims = new StringBuilder();
        for (long d : shape) dims.append(d).append(", ");
        // numpy writes "(4,)" for one dimension and "()" for a scalar.
        String tuple = shape.length == 1 ? "(" + shape[0] + ",)"
                : "(" + (shape.length == 0 ? "" : dims.substring(0, dims.length() - 2)) + ")";
        String dict = "{'descr': '<f4', 'fortran_order': False, 'shape': " + tuple + ", }";
        int unpadded = MAGIC.length + 2 + 2 + dict.length() + 1;
        int padded = (unpadded + ALIGN - 1) / ALIGN * ALIGN;
        String text = dict + " ".repeat(padded - unpadded) + "\n";
        ByteBuffer b = ByteBuffer.allocate(padded).order(ByteOrder.LITTLE_ENDIAN);
        b.put(MAGIC).put((byte) 1).put((byte) 0).putShort((short) text.length());
        b.put(text.getBytes(StandardCharsets.ISO_8859_1));
        return b.array();
    }

    private static long[] shape(String tuple, String what) {
        List<Long> dims = new ArrayList<>();
        for (String s : tuple.split(",")) {
            String d = s.strip();
            if (d.isEmpty()) continue;
            // Python 2 era files write long dims as "4L".
            if (d.endsWith("L")) d = d.substring(0, d.length() - 1);
            try {
                long v = Long.parseLong(d);
                SdException.require(v >= 0, what + ": negative dimension in shape (" + tuple + ")");
                dims.add(v);
            } catch (NumberFormatException e) {
                throw SdException.invalid(what + ": bad shape (" + tuple + ")");
            }
        }
        return dims.stream().mapToLong(Long::longValue).toArray();
    }

    private static String group(Pattern p, String header, String what, String key) {
        Matcher m = p.matcher(header);
        SdException.require(m.find(), what + ": header has no '" + key + "': " + header.strip());
        return m.group(1);
    }

    private static byte[] take(ByteBuffer in, int n) {
        byte[] b = new byte[n];
        in.get(b);
        return b;
    }
}
