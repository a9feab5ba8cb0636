package dev.sdserve.forge;

/**
 * The UNet's time embedding [B, 4·c0]. Every resnet projects SiLU(emb); the exporter computes that SiLU once, in
 * the scope of the first resnet that uses it ({@code /down_blocks.0/resnets.0/nonlinearity_1}), and the others
 * reuse it. Keeping that sharing keeps the DeepCache partial graph's node set alike.
 */
final class TimeEmbedding {
    private final String emb;
    private final int dim;
    private String activated;

    TimeEmbedding(String emb, int dim) {
        this.emb = emb;
        this.dim = dim;
    }

    int dim() {
        return dim;
    }

    /** Creates SiLU(emb) in {@code scope} if no resnet has yet; true when it did. */
    boolean activateIn(Scope scope) {
        if (activated != null) return false;
        activated = Layers.silu(scope, emb);
        return true;
    }

    String activated() {
        return activated;
    }
}
