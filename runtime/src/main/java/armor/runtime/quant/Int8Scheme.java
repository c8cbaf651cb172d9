package armor.runtime.quant;

import armor.runtime.safetensors.WeightSource;

/**
 * What {@code armor quantize} (and {@code prune --quantize int8}) asks for: the group size and whether the token
 * embedding is quantized too. Which tensors become int8, and how, is {@link QuantizedWeights}'s to say.
 *
 * @param requestedGroup input columns per scale for every matrix; 0 = the default of
 *                       {@link Int8Quantizer#groupSize(int, int)} (128 where it divides the row, else the whole row)
 * @param embeddings     quantize {@code model.embed_tokens.weight} (and so a tied head) as well
 */
public record Int8Scheme(int requestedGroup, boolean embeddings) {
    public Int8Scheme {
        if (requestedGroup < 0) throw new IllegalArgumentException("group size " + requestedGroup + ", expected 0 (default) or more");
    }

    /** The default: groups of 128 where they divide the row, embedding quantized. */
    public static Int8Scheme defaults() {
        return new Int8Scheme(0, true);
    }

    /** The size recorded in config.json: the requested one, or the default rule's {@link Int8Quantizer#DEFAULT_GROUP}. */
    public int nominalGroup() {
        return requestedGroup > 0 ? requestedGroup : Int8Quantizer.DEFAULT_GROUP;
    }

    /** {@code source} seen as its int8 version under this scheme. */
    public QuantizedWeights view(WeightSource source) {
        return new QuantizedWeights(source, requestedGroup, embeddings);
    }

    /**
     * Checks, before any work, that {@code source} can be quantized as asked: no int8 tensor in it already, and a
     * group size that fits every row to be quantized.
     *
     * @throws Int8SchemeException naming the first tensor that does not fit
     */
    public void check(WeightSource source) {
        for (String n : source.names())
            if (Int8Tensors.isInt8(source, n))
                throw new Int8SchemeException(Int8SchemeException.Cause.ALREADY_QUANTIZED, source.origin() + ": tensor " + n
                        + " is int8 already, expected a model folder with float weights (BF16, F16 or F32) to quantize");
        try (QuantizedWeights q = view(source)) {
            q.validate();
        } catch (IllegalArgumentException e) { // the group size: QuantizedWeights names the tensor and its columns
            throw new Int8SchemeException(Int8SchemeException.Cause.GROUP_SIZE, e.getMessage());
        }
    }
}
