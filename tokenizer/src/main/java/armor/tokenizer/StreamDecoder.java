package armor.tokenizer;

/** Incremental detokenization: never emits half a UTF-8 character, never drops or doubles a space. */
public interface StreamDecoder {
    /** Accepts the next generated id and returns the text that became complete (possibly empty). */
    String next(int id);

    /** Returns whatever text is still held back (at the end of generation). */
    String flush();
}
