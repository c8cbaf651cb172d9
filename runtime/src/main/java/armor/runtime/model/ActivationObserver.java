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
}
