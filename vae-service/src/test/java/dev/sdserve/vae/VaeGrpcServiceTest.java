package dev.sdserve.vae;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.sdserve.proto.v1.DType;
import dev.sdserve.proto.v1.DecodeRequest;
import dev.sdserve.proto.v1.DecodeResponse;
import dev.sdserve.proto.v1.EncodeImageRequest;
import dev.sdserve.proto.v1.EncodeImageResponse;
import dev.sdserve.proto.v1.Image;
import dev.sdserve.proto.v1.Tensor;
import dev.sdserve.proto.v1.VaeGrpc;
import dev.sdserve.runtime.FloatTensor;
import dev.sdserve.runtime.GrpcProbe;
import dev.sdserve.runtime.Png;
import dev.sdserve.runtime.SharedFixtures;
import dev.sdserve.runtime.TensorCodec;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.quarkus.test.junit.QuarkusTest;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/** The Vae gRPC service over a real channel: results against the fixtures, and every bad input's status. */
@QuarkusTest
class VaeGrpcServiceTest {

    /** This test's gRPC server port: test-port=0, a free port chosen at start. */
    int port = GrpcProbe.serverPort();

    ManagedChannel channel;
    VaeGrpc.VaeBlockingStub vae;

    @BeforeEach
    void connect() {
        channel = GrpcProbe.channel(port);
        vae = VaeGrpc.newBlockingStub(channel).withDeadlineAfter(60, TimeUnit.SECONDS);
    }

    @AfterEach
    void disconnect() {
        channel.shutdownNow();
    }

    static Tensor latents(long... shape) {
        return TensorCodec.toProto(FloatTensor.zeros(shape));
    }

    @Test
    void decodeReturnsRgbPngAndFloatImageMatchingTheReference() {
        Path dir = VaeStageTest.pipelineCase("pndm_p1_dc3");
        DecodeResponse r = vae.decode(DecodeRequest.newBuilder().setModel("tiny-sd15")
                .setLatents(TensorCodec.toProto(SharedFixtures.tensor(dir.resolve("latents_final.f32"))))
                .setPng(true).setReturnFloat(true).build());
        assertEquals(1, r.getImagesCount());
        Image img = r.getImages(0);
        assertEquals(256, img.getWidth());
        assertEquals(256, img.getHeight());
        Png.Rgb rgb = new Png.Rgb(256, 256, img.getRgb().toByteArray());
        VaeStageTest.assertMatchesReference(dir, TensorCodec.fromProto(r.getImage(), "image"), rgb);
        assertArrayEquals(rgb.rgb(), Png.decode(img.getPng().toByteArray(), "png", 1 << 20).rgb());
    }

    @Test
    void decodeWithoutOptionsReturnsOnlyRgb() {
        DecodeResponse r = vae.decode(DecodeRequest.newBuilder().setLatents(latents(2, 4, 8, 8))
                .setDecodingBatchSize(1).build());
        assertEquals(2, r.getImagesCount());
        assertEquals(64 * 64 * 3, r.getImages(1).getRgb().size());
        assertTrue(r.getImages(1).getPng().isEmpty());
        assertEquals(0, r.getImage().getShapeCount());
    }

    @Test
    void encodeTakesFilesOrPixelsAndGivesTheMean() {
        Path dir = VaeStageTest.img2imgCase("img2img_ddim_s60_dc1");
        byte[] png = VaeStageTest.read(dir.resolve("init.png"));
        EncodeImageResponse fromFile = vae.encode(EncodeImageRequest.newBuilder()
                .addEncodedImages(ByteString.copyFrom(png)).build());
        assertEquals(0.18215, fromFile.getScalingFactor(), 1e-7);
        FloatTensor mean = TensorCodec.fromProto(fromFile.getLatentMean(), "latent_mean");
        float diff = mean.maxAbsDiff(SharedFixtures.tensor(dir.resolve("vae_encoder_mean.f32")));
        assertTrue(diff <= VaeStageTest.ENCODER_TOL, "encoder mean max abs diff " + diff);

        EncodeImageResponse fromPixels = vae.encode(EncodeImageRequest.newBuilder()
                .setPixels(TensorCodec.toProto(Png.decodePixels(png, "init", 1 << 20))).build());
        assertEquals(fromFile.getLatentMean(), fromPixels.getLatentMean());
    }

    @Test
    void badDecodeRequestsAreInvalidArgumentNamingTheField() {
        float[] nan = new float[4 * 8 * 8];
        nan[70] = Float.NaN;
        assertStatus(Status.Code.INVALID_ARGUMENT, "latents: 1 of 256 values are not finite (first: NaN at [0, 1, 0, 6])",
                () -> vae.decode(DecodeRequest.newBuilder()
                        .setLatents(TensorCodec.toProto(FloatTensor.of(new long[] {1, 4, 8, 8}, nan))).build()));
        assertStatus(Status.Code.INVALID_ARGUMENT, "latents: expected rank 4",
                () -> vae.decode(DecodeRequest.newBuilder().setLatents(latents(4, 8, 8)).build()));
        assertStatus(Status.Code.INVALID_ARGUMENT, "latents: expected 4 channels",
                () -> vae.decode(DecodeRequest.newBuilder().setLatents(latents(1, 8, 8, 8)).build()));
        assertStatus(Status.Code.INVALID_ARGUMENT, "latents: image is 1024x1088 = 1114112 pixels, more than sd.vae.max-pixels",
                () -> vae.decode(DecodeRequest.newBuilder().setLatents(latents(1, 4, 136, 128)).build()));
        assertStatus(Status.Code.INVALID_ARGUMENT, "latents: image is 104x104 pixels; width and height must be",
                () -> vae.decode(DecodeRequest.newBuilder().setLatents(latents(1, 4, 13, 13)).build()));
        assertStatus(Status.Code.INVALID_ARGUMENT, "latents: missing tensor",
                () -> vae.decode(DecodeRequest.getDefaultInstance()));
        assertStatus(Status.Code.INVALID_ARGUMENT, "latents: dtype INT32 is not supported",
                () -> vae.decode(DecodeRequest.newBuilder().setLatents(latents(1, 4, 8, 8).toBuilder()
                        .setDtype(DType.INT32)).build()));
        assertStatus(Status.Code.INVALID_ARGUMENT, "decoding_batch_size: must be >= 0",
                () -> vae.decode(DecodeRequest.newBuilder().setLatents(latents(1, 4, 8, 8)).setDecodingBatchSize(-2).build()));
        assertStatus(Status.Code.NOT_FOUND, "model 'no-such-model' not found",
                () -> vae.decode(DecodeRequest.newBuilder().setModel("no-such-model").setLatents(latents(1, 4, 8, 8)).build()));
        assertStatus(Status.Code.INVALID_ARGUMENT, "model: '../tiny-sd15' is not a plain folder name",
                () -> vae.decode(DecodeRequest.newBuilder().setModel("../tiny-sd15").setLatents(latents(1, 4, 8, 8)).build()));
    }

    @Test
    void badEncodeRequestsAreInvalidArgumentNamingTheField() {
        assertStatus(Status.Code.INVALID_ARGUMENT, "pixels: image is 100x100 pixels; width and height must be positive multiples of 64",
                () -> vae.encode(EncodeImageRequest.newBuilder().setPixels(latents(1, 3, 100, 100)).build()));
        assertStatus(Status.Code.INVALID_ARGUMENT, "encoded_images: image is 100x100 pixels",
                () -> vae.encode(EncodeImageRequest.newBuilder().addEncodedImages(ByteString.copyFrom(
                        Png.encode(new Png.Rgb(100, 100, new byte[100 * 100 * 3]))))
                        .build()));
        assertStatus(Status.Code.INVALID_ARGUMENT, "pixels: image is 1024x1088 = 1114112 pixels, more than sd.vae.max-pixels",
                () -> vae.encode(EncodeImageRequest.newBuilder().setPixels(latents(1, 3, 1088, 1024)).build()));
        assertStatus(Status.Code.INVALID_ARGUMENT, "encoded_images[0]: not an image",
                () -> vae.encode(EncodeImageRequest.newBuilder().addEncodedImages(ByteString.copyFromUtf8("hello")).build()));
        assertStatus(Status.Code.INVALID_ARGUMENT, "encoded_images, pixels: send exactly one of them (got neither)",
                () -> vae.encode(EncodeImageRequest.getDefaultInstance()));
        assertStatus(Status.Code.INVALID_ARGUMENT, "encoded_images, pixels: send exactly one of them (got both)",
                () -> vae.encode(EncodeImageRequest.newBuilder().setPixels(latents(1, 3, 64, 64))
                        .addEncodedImages(ByteString.copyFromUtf8("x")).build()));
    }

    static void assertStatus(Status.Code code, String descriptionStart, Executable call) {
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, call);
        assertEquals(code, e.getStatus().getCode(), String.valueOf(e.getStatus().getDescription()));
        assertTrue(String.valueOf(e.getStatus().getDescription()).startsWith(descriptionStart),
                "description: " + e.getStatus().getDescription());
    }
}
