package dev.sdserve.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sdserve.runtime.FloatTensor;
import dev.sdserve.runtime.SdException;
import dev.sdserve.runtime.SharedFixtures;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** .npy reading and writing against files numpy 2.4 wrote (np.save / np.lib.format.write_array), and the fixtures. */
class NpyTest {
    /** np.save(np.arange(3, dtype='<f4')). */
    static final String NUMPY_ARANGE3 = "k05VTVBZAQB2AHsnZGVzY3InOiAnPGY0JywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDMsKSwgfSAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAAAAAACAPwAAAEA=";
    /** np.save(np.array([[1.5,-2,3],[4,5e-3,-6e7]], dtype='<f4')). */
    static final String NUMPY_2X3 = "k05VTVBZAQB2AHsnZGVzY3InOiAnPGY0JywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDIsIDMpLCB9ICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAMA/AAAAwAAAQEAAAIBACtejO8DhZMw=";
    /** The same array in format version 2.0 (4-byte header length). */
    static final String NUMPY_2X3_V2 = "k05VTVBZAgB0AAAAeydkZXNjcic6ICc8ZjQnLCAnZm9ydHJhbl9vcmRlcic6IEZhbHNlLCAnc2hhcGUnOiAoMiwgMyksIH0gICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAMA/AAAAwAAAQEAAAIBACtejO8DhZMw=";
    /** np.save(np.array(7.25, dtype='<f4')): a 0-d array. */
    static final String NUMPY_SCALAR = "k05VTVBZAQB2AHsnZGVzY3InOiAnPGY0JywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKCksIH0gICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAOhA";
    static final String NUMPY_BIG_ENDIAN = "k05VTVBZAQB2AHsnZGVzY3InOiAnPmY0JywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDMsKSwgfSAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAAAAP4AAAEAAAAA=";
    static final String NUMPY_FLOAT64 = "k05VTVBZAQB2AHsnZGVzY3InOiAnPGY4JywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDMsKSwgfSAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAAAAAAAAAAAAAAAAAPA/AAAAAAAAAEA=";
    static final String NUMPY_FORTRAN = "k05VTVBZAQB2AHsnZGVzY3InOiAnPGY0JywgJ2ZvcnRyYW5fb3JkZXInOiBUcnVlLCAnc2hhcGUnOiAoMiwgMyksIH0gICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAIA/AACAPwAAgD8AAIA/AACAPwAAgD8=";

    @TempDir
    Path tmp;

    private Path file(String name, String base64) throws Exception {
        Path p = tmp.resolve(name);
        Files.write(p, Base64.getDecoder().decode(base64));
        return p;
    }

    @Test
    void readsWhatNumpyWrites() throws Exception {
        FloatTensor a = Npy.read(file("a.npy", NUMPY_ARANGE3), "--latents");
        assertArrayEquals(new long[] {3}, a.shape());
        assertArrayEquals(new float[] {0, 1, 2}, a.toArray());
        float[] m = {1.5f, -2f, 3f, 4f, 5e-3f, -6e7f};
        for (String v : new String[] {NUMPY_2X3, NUMPY_2X3_V2}) {
            FloatTensor t = Npy.read(file("m.npy", v), "--latents");
            assertArrayEquals(new long[] {2, 3}, t.shape());
            assertArrayEquals(m, t.toArray());
        }
        FloatTensor s = Npy.read(file("s.npy", NUMPY_SCALAR), "--latents");
        assertEquals(0, s.rank());
        assertEquals(7.25f, s.get(0));
    }

    @Test
    void writesByteForByteWhatNumpyWrites() throws Exception {
        Path a = tmp.resolve("a.npy");
        Npy.write(a, FloatTensor.of(new long[] {3}, new float[] {0, 1, 2}));
        assertArrayEquals(Base64.getDecoder().decode(NUMPY_ARANGE3), Files.readAllBytes(a));
        Path m = tmp.resolve("m.npy");
        Npy.write(m, FloatTensor.of(new long[] {2, 3}, new float[] {1.5f, -2f, 3f, 4f, 5e-3f, -6e7f}));
        assertArrayEquals(Base64.getDecoder().decode(NUMPY_2X3), Files.readAllBytes(m));
        Path s = tmp.resolve("s.npy");
        Npy.write(s, FloatTensor.of(new long[0], new float[] {7.25f}));
        assertArrayEquals(Base64.getDecoder().decode(NUMPY_SCALAR), Files.readAllBytes(s));
    }

    @Test
    void headersAreAlignedTo64Bytes() {
        for (long[] shape : new long[][] {{1}, {4, 4, 32, 32}, {123456789, 987654321, 1, 2, 3, 4, 5, 6, 7}}) {
            byte[] h = Npy.header(shape);
            assertEquals(0, h.length % 64, "header of " + java.util.Arrays.toString(shape));
            assertEquals('\n', h[h.length - 1]);
        }
    }

    @Test
    void fixtureLatentsRoundTrip() throws Exception {
        Path f32 = SharedFixtures.fixtures().resolve("cases/pndm_p1_dc1/latents_init.f32");
        FloatTensor latents = SharedFixtures.tensor(f32);
        assertArrayEquals(new long[] {1, 4, 32, 32}, latents.shape());
        Path npy = tmp.resolve("latents_init.npy");
        Npy.write(npy, latents);
        assertEquals(128 + 4L * 4 * 32 * 32, Files.size(npy));
        FloatTensor back = Npy.read(npy, "--latents");
        assertArrayEquals(latents.shape(), back.shape());
        assertArrayEquals(latents.toArray(), back.toArray());
        // The data section is the raw little-endian .f32 file, byte for byte.
        byte[] data = java.util.Arrays.copyOfRange(Files.readAllBytes(npy), 128, (int) Files.size(npy));
        assertArrayEquals(Files.readAllBytes(f32), data);
    }

    @ParameterizedTest
    @CsvSource({
        "BIG_ENDIAN, dtype '>f4'",
        "FLOAT64, dtype '<f8'",
        "FORTRAN, Fortran-order",
    })
    void rejectsOtherLayoutsWithTheFlagInTheMessage(String which, String expected) throws Exception {
        String b64 = switch (which) {
            case "BIG_ENDIAN" -> NUMPY_BIG_ENDIAN;
            case "FLOAT64" -> NUMPY_FLOAT64;
            default -> NUMPY_FORTRAN;
        };
        SdException e = assertThrows(SdException.class, () -> Npy.read(file("x.npy", b64), "--latents"));
        assertEquals(SdException.Kind.INVALID_ARGUMENT, e.kind());
        assertTrue(e.getMessage().startsWith("--latents"), e.getMessage());
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }

    @Test
    void rejectsTruncatedAndForeignFiles() throws Exception {
        byte[] good = Base64.getDecoder().decode(NUMPY_2X3);
        Path cut = tmp.resolve("cut.npy");
        Files.write(cut, java.util.Arrays.copyOf(good, good.length - 4));
        SdException e = assertThrows(SdException.class, () -> Npy.read(cut, "--latents"));
        assertTrue(e.getMessage().contains("needs 24 bytes of data, the file has 20"), e.getMessage());

        Path png = tmp.resolve("not.npy");
        Files.write(png, new byte[] {(byte) 0x89, 'P', 'N', 'G', 13, 10, 26, 10, 0, 0, 0});
        e = assertThrows(SdException.class, () -> Npy.read(png, "--latents"));
        assertTrue(e.getMessage().contains("not a .npy file"), e.getMessage());

        e = assertThrows(SdException.class, () -> Npy.read(tmp.resolve("missing.npy"), "--latents"));
        assertEquals(SdException.Kind.NOT_FOUND, e.kind());
    }
}
