package armor.runtime.model;

/**
 * Sees the input rows of every projection during a forward pass (the pruner's calibration statistics). Called once
 * per projection name, in layer order; q/k/v receive the same array (their shared input), as do gate/up. The array
 * holds {@code tokens} rows of the projection's input features and is only valid during the call.
 */
@FunctionalInterface
public interface ActivationObserver {
    /**
     * @param layer      0-based layer index
     * @param projection e.g. "self_attn.q_proj", "mlp.down_proj" (see {@link DecoderLayer#PROJECTIONS})
     */
    void observe(int layer, String projection, float[] x, int tokens);

    /**
     * The last layer whose inputs this observer needs. The forward pass stops once it has shown that layer's
     * down-projection input: no later layer and no head run (a calibration pass for layer ℓ costs ℓ + 1 layers, not
     * the whole model), the pass returns null instead of logits and the sequences keep their length (their KV cache
     * is half written: free them). The default needs every layer and changes nothing.
     */
    default int lastLayer() {
        return Integer.MAX_VALUE;
    }
}
