package dev.sdserve.orchestrator;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.WireFormat;
import dev.sdserve.runtime.WarnOnce;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.jboss.logging.Logger;

/**
 * Reads the element type of one graph input straight from an ONNX file's protobuf, skipping the weights with
 * seeks, so ListModels can report a model's dtype without loading it into ONNX Runtime. Field numbers are
 * onnx.proto's: ModelProto.graph = 7, GraphProto.input = 11, ValueInfoProto.name = 1 / type = 2,
 * TypeProto.tensor_type = 1, TypeProto.Tensor.elem_type = 1.
 */
final class OnnxInputDtype {
    private static final Logger LOG = Logger.getLogger(OnnxInputDtype.class);
    private OnnxInputDtype() {
    }

    /** "float32", "float16", ... for input {@code name}; empty when the file or the input cannot be read. */
    static Optional<String> of(Path onnx, String name) {
        try (InputStream in = new BufferedInputStream(Files.newInputStream(onnx), 1 << 16)) {
            CodedInputStream c = CodedInputStream.newInstance(in);
            if (!seek(c, 7)) return Optional.empty();
            c.pushLimit(c.readRawVarint32()); // the graph
            while (seek(c, 11)) {
                int outer = c.pushLimit(c.readRawVarint32());
                Optional<Integer> elemType = valueInfo(c, name);
                c.popLimit(outer);
                if (elemType.isPresent()) return Optional.of(dtypeName(elemType.get()));
            }
            return Optional.empty();
        } catch (IOException | RuntimeException e) {
            WarnOnce.warn(LOG, onnx, "cannot read the input types of ONNX file", e);
            return Optional.empty();
        }
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

    /** One ValueInfoProto (up to the current limit): its tensor elem_type when it is the wanted input. */
    private static Optional<Integer> valueInfo(CodedInputStream c, String wanted) throws IOException {
        String name = null;
        Integer elemType = null;
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
        return wanted.equals(name) ? Optional.ofNullable(elemType) : Optional.empty();
    }

    /** Field 1 as an int (TypeProto.Tensor.elem_type), reading up to the current limit. */
    private static Integer firstInt(CodedInputStream c) throws IOException {
        Integer out = null;
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

    static String dtypeName(int elemType) {
        return switch (elemType) {
            case 1 -> "float32";
            case 10 -> "float16";
            case 11 -> "float64";
            case 16 -> "bfloat16";
            default -> "onnx-type-" + elemType;
        };
    }
}
