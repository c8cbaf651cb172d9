package armor.runtime.linear;

/**
 * A linear layer {@code y = W x + bias} of any kind (dense, 2:4, ARMOR). Activations are float32, row-major:
 * {@code x} holds {@code tokens} rows of {@link #inFeatures()}, {@code y} receives {@code tokens} rows of
 * {@link #outFeatures()}. One token is the decode path (matrix-vector), several the prefill path (matrix-matrix).
 */
public interface Linear {
    int inFeatures();

    int outFeatures();

    void forward(float[] x, float[] y, int tokens);

    /** Bytes of weights (and metadata) this layer reads for one token. */
    long weightBytes();

    /** The layer's row of the {@link WeightFormat} table. */
    WeightFormat format();

    /** Short name of the layer kind: "dense", "2:4", "armor", or one of them with "-int8" for int8 weights. */
    default String kind() {
        return format().kind();
    }

    /** The dense float32 weight this layer computes with ({@code out × in}, row-major): what {@code export --dense} writes. */
    float[] denseWeight();
}
