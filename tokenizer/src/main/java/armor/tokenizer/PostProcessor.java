package armor.tokenizer;

/**
 * What the post-processor adds around a single sequence when special tokens are requested: tokenizer.json's
 * {@code TemplateProcessing} (e.g. BOS before the text), {@code BertProcessing}/{@code RobertaProcessing}, or
 * nothing ({@code ByteLevel}).
 */
record PostProcessor(int[] prefix, int[] suffix) {
    static final PostProcessor NONE = new PostProcessor(new int[0], new int[0]);

    int[] apply(IdBuffer body) {
        int[] ids = new int[prefix.length + body.size() + suffix.length];
        System.arraycopy(prefix, 0, ids, 0, prefix.length);
        int[] middle = body.toArray();
        System.arraycopy(middle, 0, ids, prefix.length, middle.length);
        System.arraycopy(suffix, 0, ids, prefix.length + middle.length, suffix.length);
        return ids;
    }
}
