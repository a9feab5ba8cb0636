package dev.sdserve.orchestrator;

import dev.sdserve.proto.v1.ImageGenerationGrpc;
import io.grpc.stub.StreamObserver;
import io.quarkus.grpc.GrpcService;
import io.smallrye.common.annotation.Blocking;

/** Thin gRPC adapter for the public generation API stage (skeleton: every call answers UNIMPLEMENTED until the stage lands). */
@GrpcService
@Blocking
public class ImageGenerationGrpcService extends ImageGenerationGrpc.ImageGenerationImplBase {
}
