package armor.runtime.config;

import java.util.List;

/**
 * The decoder's shape and numerics, read from {@code config.json} (see {@link ConfigReader}).
 *
 * @param qkvBias     q/k/v projections carry biases (Qwen2, or Llama with attention_bias)
 * @param oBias       o_proj carries a bias (Llama with attention_bias)
 * @param mlpBias     gate/up/down carry biases (Llama with mlp_bias)
 * @param qkNorm      per-head RMSNorm on q and k before RoPE (Qwen3)
 * @param eosTokenIds from config.json and generation_config.json together
 * @param dtype       the stored weight dtype named by the config ("bfloat16", "float32", ...), informational
 */
public record ModelConfig(Architecture architecture, int hiddenSize, int intermediateSize, int numLayers,
                          int numHeads, int numKvHeads, int headDim, int vocabSize, int maxPositions,
                          float rmsNormEps, double ropeTheta, RopeScaling ropeScaling, boolean tieWordEmbeddings,
                          boolean qkvBias, boolean oBias, boolean mlpBias, boolean qkNorm,
                          int bosTokenId, List<Integer> eosTokenIds, String dtype) {

    public int qDim() {
        return numHeads * headDim;
    }

    public int kvDim() {
        return numKvHeads * headDim;
    }
}
