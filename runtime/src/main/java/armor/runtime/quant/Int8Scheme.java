package armor.runtime.quant;

/**
 * What {@code armor quantize} (and {@code prune --quantize int8}) asks for: the group size and whether the token
 * embedding and output head are quantized too.
 *
 * @param requestedGroup input columns per scale for every matrix; 0 = the default of
 *                       {@link Int8Quantizer#groupSize(int, int)} (128 where it divides the row, else the whole row)
 * @param embeddings     quantize {@code model.embed_tokens.weight} and an untied {@code lm_head.weight} as well
 */
public record Int8Scheme(int requestedGroup, boolean embeddings) {
    public Int8Scheme {
        if (requestedGroup < 0) throw new IllegalArgumentException("group size " + requestedGroup + ", expected 0 (default) or more");
    }

    /** The default: groups of 128 where they divide the row, embeddings and head quantized. */
    public static Int8Scheme defaults() {
        return new Int8Scheme(0, true);
    }

    /**
     * The group size of {@code tensor}, whose rows hold {@code denseColumns} input columns (for packed 2:4 values,
     * the dense columns, twice the stored ones).
     *
     * @throws Int8SchemeException naming the tensor and its columns when the requested size does not fit
     */
    public int groupFor(String tensor, int denseColumns) {
        try {
            return Int8Quantizer.groupSize(denseColumns, requestedGroup);
        } catch (IllegalArgumentException e) {
            throw new Int8SchemeException(Int8SchemeException.Cause.GROUP_SIZE, "group size " + requestedGroup + " does not fit tensor " + tensor + " with "
                    + denseColumns + " input columns: expected a multiple of 8 that divides " + denseColumns
                    + ", the whole row (" + denseColumns + ") or 0 for the default");
        }
    }

    /** The size recorded in config.json: the requested one, or the default rule's {@link Int8Quantizer#DEFAULT_GROUP}. */
    public int nominalGroup() {
        return requestedGroup > 0 ? requestedGroup : Int8Quantizer.DEFAULT_GROUP;
    }
}
