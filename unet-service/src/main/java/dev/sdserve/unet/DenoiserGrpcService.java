package dev.sdserve.unet;

import dev.sdserve.proto.v1.DenoiserGrpc;
import io.grpc.stub.StreamObserver;
import io.quarkus.grpc.GrpcService;
import io.smallrye.common.annotation.Blocking;

/** Thin gRPC adapter for the UNet stage (skeleton: every call answers UNIMPLEMENTED until the stage lands). */
@GrpcService
@Blocking
public class DenoiserGrpcService extends DenoiserGrpc.DenoiserImplBase {
}
