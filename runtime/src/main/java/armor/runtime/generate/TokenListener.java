package armor.runtime.generate;

/** Receives generated tokens as they are produced. */
@FunctionalInterface
public interface TokenListener {
    /**
     * @param token the generated id, or -1 for a last call that only releases text held back until the end
     * @param text  text that became final with this token (possibly empty: an incomplete UTF-8 character, or text
     *              held back because it might begin a stop string); empty when the model has no tokenizer
     */
    void onToken(int token, String text);
}
