package armor.runtime.config;

/**
 * RoPE frequency scaling as in Hugging Face {@code rope_scaling} / {@code rope_parameters}. Type "default" means no
 * scaling; "linear" divides positions by {@code factor}; "dynamic" grows the base (NTK) once a sequence passes
 * {@code originalMaxPositions}; "llama3" rescales low frequencies with a smooth band between
 * {@code lowFreqFactor} and {@code highFreqFactor}.
 */
public record RopeScaling(String type, double factor, double lowFreqFactor, double highFreqFactor,
                          int originalMaxPositions) {
    public static final RopeScaling NONE = new RopeScaling("default", 1, 1, 4, 0);
}
