package dev.sdserve.runtime;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.WireFormat;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Reads a graph's inputs (name and element type) straight from an ONNX file's protobuf, skipping the weights
 * with seeks, so a model folder can be described (its family, its dtype) without loading it into ONNX Runtime.
 * Field numbers are onnx.proto's: ModelProto.graph = 7, GraphProto.input = 11, ValueInfoProto.name = 1 /
 * type = 2, TypeProto.tensor_type = 1, TypeProto.Tensor.elem_type = 1.
 */
public final class OnnxInputs {
    private OnnxInputs() {
    }

    /**
     * The graph inputs in file order, each with its ONNX elem_type (0 when it is not a tensor); empty when the
     * file cannot be read.
     */
    public static Map<String, Integer> of(Path onnx) {
        try {
            return read(onnx);
        } catch (IOException | RuntimeException e) {
            return Map.of();
        }
    }

    /** As {@link #of}, but a missing or unreadable file throws (for callers that report it). */
    public static Map<String, Integer> read(Path onnx) throws IOException {
        Map<String, Integer> out = new LinkedHashMap<>();
        try (InputStream in = new BufferedInputStream(Files.newInputStream(onnx), 1 << 16)) {
            CodedInputStream c = CodedInputStream.newInstance(in);
            if (!seek(c, 7)) return Map.of();
            c.pushLimit(c.readRawVarint32()); // the graph
            while (seek(c, 11)) {
                int outer = c.pushLimit(c.readRawVarint32());
                valueInfo(c, out);
                c.popLimit(outer);
            }
            return Collections.unmodifiableMap(out);
        }
    }

    /** "float32", "float16", ... for input {@code name}; empty when the file or the input cannot be read. */
    public static Optional<String> dtype(Path onnx, String name) {
        Integer t = of(onnx).get(name);
        return t == null || t == 0 ? Optional.empty() : Optional.of(dtypeName(t));
    }

    public static String dtypeName(int elemType) {
        return switch (elemType) {
            case 1 -> "float32";
            case 10 -> "float16";
            case 11 -> "float64";
            case 16 -> "bfloat16";
            default -> "onnx-type-" + elemType;
        };
    }

    /** Skips fields up to length-delimited field {@code number} (its length not yet read); false at the limit. */
    private static boolean seek(CodedInputStream c, int number) throws IOException {
        for (int tag = c.readTag(); tag != 0; tag = c.readTag()) {
            if (WireFormat.getTagFieldNumber(tag) == number
                    && WireFormat.getTagWireType(tag) == WireFormat.WIRETYPE_LENGTH_DELIMITED) {
                return true;
            }
            c.skipField(tag);
        }
        return false;
    }

    /** One ValueInfoProto (up to the current limit), added to {@code out} when it has a name. */
    private static void valueInfo(CodedInputStream c, Map<String, Integer> out) throws IOException {
        String name = null;
        int elemType = 0;
        for (int tag = c.readTag(); tag != 0; tag = c.readTag()) {
            int field = WireFormat.getTagFieldNumber(tag);
            if (field == 1) {
                name = c.readStringRequireUtf8();
            } else if (field == 2) {
                int outer = c.pushLimit(c.readRawVarint32());
                if (seek(c, 1)) {
                    int inner = c.pushLimit(c.readRawVarint32());
                    elemType = firstInt(c);
                    c.popLimit(inner);
                }
                skipRest(c);
                c.popLimit(outer);
            } else {
                c.skipField(tag);
            }
        }
        if (name != null) out.put(name, elemType);
    }

    /** Field 1 as an int (TypeProto.Tensor.elem_type), reading up to the current limit; 0 when absent. */
    private static int firstInt(CodedInputStream c) throws IOException {
        int out = 0;
        for (int tag = c.readTag(); tag != 0; tag = c.readTag()) {
            if (WireFormat.getTagFieldNumber(tag) == 1 && WireFormat.getTagWireType(tag) == WireFormat.WIRETYPE_VARINT) {
                out = c.readInt32();
            } else {
                c.skipField(tag);
            }
        }
        return out;
    }

    private static void skipRest(CodedInputStream c) throws IOException {
        for (int tag = c.readTag(); tag != 0; tag = c.readTag()) c.skipField(tag);
    }
}
