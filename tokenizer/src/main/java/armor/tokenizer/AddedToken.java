package armor.tokenizer;

/**
 * An entry of tokenizer.json's {@code added_tokens}: matched in the text before the model sees it.
 *
 * @param special    skipped by {@code decode(ids, skipSpecialTokens=true)}
 * @param lstrip     the match swallows whitespace on its left
 * @param rstrip     the match swallows whitespace on its right
 * @param singleWord only matched when not inside a word
 * @param normalized matched against the normalized text rather than the raw text
 */
public record AddedToken(int id, String content, boolean special, boolean lstrip, boolean rstrip,
                         boolean singleWord, boolean normalized) {}
