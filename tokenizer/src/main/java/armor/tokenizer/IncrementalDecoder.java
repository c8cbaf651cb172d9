package armor.tokenizer;

import java.util.Arrays;

/**
 * Streaming detokenization by differences of full decodes (the method of Hugging Face's DecodeStream and TGI):
 * the ids since the last emitted boundary are decoded with and without the newest ids, and only the new suffix
 * is emitted. Decoding from one token before the boundary keeps context-dependent rules right (sentencepiece's
 * "strip the leading space of the text" applies to the first token only), and text that ends in U+FFFD (an
 * incomplete UTF-8 character so far) is held back until the character is complete.
 */
final class IncrementalDecoder implements StreamDecoder {
    /** UTF-8 characters are at most 4 bytes, so a character boundary is at most 4 byte tokens back. */
    private static final int MAX_CONTEXT_IDS = 4;
    private final Tokenizer tokenizer;
    private final boolean skipSpecialTokens;
    private int[] ids = new int[16];
    private int size;
    /** Start of the decode window: the ids before it are emitted and no longer matter. */
    private int prefixOffset;
    /** End of what has been emitted: ids[prefixOffset, readOffset) are already text. */
    private int readOffset;

    /**
     * {@code context}: ids already shown (the prompt). The first window starts at its last few ids, from the last
     * point where they decode to whole characters (a byte-fallback run that starts inside a character would decode
     * to replacement characters and poison the window).
     */
    IncrementalDecoder(Tokenizer tokenizer, boolean skipSpecialTokens, int[] context) {
        this.tokenizer = tokenizer;
        this.skipSpecialTokens = skipSpecialTokens;
        if (context.length > 0) {
            ids = Arrays.copyOf(context, context.length + 16);
            size = context.length;
            readOffset = size;
            prefixOffset = size;
            for (int start = size - 1; start >= Math.max(0, size - MAX_CONTEXT_IDS); start--) {
                if (!tokenizer.decode(Arrays.copyOfRange(ids, start, size), skipSpecialTokens).contains("\uFFFD")) {
                    prefixOffset = start;
                    break;
                }
            }
        }
    }

    @Override
    public String next(int id) {
        tokenizer.idToToken(id); // fails now, naming the id, if it is out of range
        if (size == ids.length) ids = Arrays.copyOf(ids, size * 2);
        ids[size++] = id;
        String emitted = tokenizer.decode(Arrays.copyOfRange(ids, prefixOffset, readOffset), skipSpecialTokens);
        String all = tokenizer.decode(Arrays.copyOfRange(ids, prefixOffset, size), skipSpecialTokens);
        if (all.length() > emitted.length() && !all.endsWith("\uFFFD") && all.startsWith(emitted)) {
            String fresh = all.substring(emitted.length());
            // Keep one token of context for the next window (see the class comment).
            prefixOffset = readOffset;
            readOffset = size;
            return fresh;
        }
        return "";
    }

    @Override
    public String flush() {
        String emitted = tokenizer.decode(Arrays.copyOfRange(ids, prefixOffset, readOffset), skipSpecialTokens);
        String all = tokenizer.decode(Arrays.copyOfRange(ids, prefixOffset, size), skipSpecialTokens);
        prefixOffset = size;
        readOffset = size;
        return all.startsWith(emitted) ? all.substring(emitted.length()) : all;
    }
}
