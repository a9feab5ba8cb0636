package dev.sdserve.vae;

import dev.sdserve.proto.v1.VaeGrpc;
import io.grpc.stub.StreamObserver;
import io.quarkus.grpc.GrpcService;
import io.smallrye.common.annotation.Blocking;

/** Thin gRPC adapter for the VAE stage (skeleton: every call answers UNIMPLEMENTED until the stage lands). */
@GrpcService
@Blocking
public class VaeGrpcService extends VaeGrpc.VaeImplBase {
}
