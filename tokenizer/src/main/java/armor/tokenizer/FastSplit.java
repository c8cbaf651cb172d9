package armor.tokenizer;

import java.util.List;

/**
 * Hand-written scanners for the three split regexes that cover our byte-level families, with exactly the
 * regex's semantics (leftmost alternative first, greedy quantifiers with backtracking worked out by hand):
 * <ul>
 *   <li>Llama-3: {@code (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+}</li>
 *   <li>Qwen2/2.5/3: the same with {@code \p{N}} instead of {@code \p{N}{1,3}};</li>
 *   <li>GPT-2 ({@code ByteLevel} with {@code use_regex}): {@code 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+}.</li>
 * </ul>
 * Encoding spends much of its time here, and java.util.regex is several times slower on these patterns.
 * {@code \s} is the Unicode White_Space property, {@code \p{L}} letters, {@code \p{N}} numbers, all by code point.
 * Tests check every split against the regex on real text and on random strings of tricky characters.
 */
final class FastSplit {
    enum Family { LLAMA3, QWEN2, GPT2 }

    static final String LLAMA3_REGEX = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}"
            + "| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
    static final String QWEN2_REGEX = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}"
            + "| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
    static final String GPT2_REGEX = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";

    private static final byte LETTER = 1, NUMBER = 2, SPACE = 3, OTHER = 4;
    private static final byte[] ASCII = new byte[128];

    static {
        for (int c = 0; c < 128; c++) ASCII[c] = classifySlow(c);
    }

    private final Family family;

    FastSplit(Family family) {
        this.family = family;
    }

    /** The scanner for a tokenizer.json Split regex, or null when the pattern is not one of ours. */
    static FastSplit forRegex(String onigurumaRegex) {
        return switch (onigurumaRegex) {
            case LLAMA3_REGEX -> new FastSplit(Family.LLAMA3);
            case QWEN2_REGEX -> new FastSplit(Family.QWEN2);
            default -> null;
        };
    }

    /** Appends the pieces of text, exactly as the family's regex with behavior Isolated would cut it. */
    void split(String text, List<String> out) {
        int n = text.length();
        int i = 0;
        while (i < n) {
            int end = family == Family.GPT2 ? nextGpt2(text, i, n) : nextLlama3(text, i, n, family == Family.LLAMA3 ? 3 : 1);
            out.add(text.substring(i, end));
            i = end;
        }
    }

    private static byte classifySlow(int cp) {
        if (isWhiteSpace(cp)) return SPACE;
        if (Character.isLetter(cp)) return LETTER;
        int type = Character.getType(cp);
        if (type == Character.DECIMAL_DIGIT_NUMBER || type == Character.LETTER_NUMBER || type == Character.OTHER_NUMBER) {
            return NUMBER;
        }
        return OTHER;
    }

    /** The Unicode White_Space property (what Oniguruma's and java's Unicode {@code \s} match). */
    static boolean isWhiteSpace(int cp) {
        return (cp >= 0x09 && cp <= 0x0D) || cp == 0x20 || cp == 0x85 || cp == 0xA0 || cp == 0x1680
                || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 || cp == 0x202F || cp == 0x205F
                || cp == 0x3000;
    }

    private static byte classAt(String s, int i) {
        char c = s.charAt(i);
        return c < 128 ? ASCII[c] : classifySlow(Character.codePointAt(s, i));
    }

    /** Index after the code point at i. */
    private static int after(String s, int i) {
        return Character.isHighSurrogate(s.charAt(i)) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))
                ? i + 2 : i + 1;
    }

    private static int skipClass(String s, int i, int n, byte cls) {
        while (i < n && classAt(s, i) == cls) i = after(s, i);
        return i;
    }

    /** End of a contraction 's 't 're 've 'm 'll 'd at i (i holds the apostrophe), or -1. */
    private static int contraction(String s, int i, int n, boolean ignoreCase) {
        if (i + 1 >= n) return -1;
        char a = s.charAt(i + 1);
        if (is(a, 's', ignoreCase) || is(a, 't', ignoreCase) || is(a, 'm', ignoreCase) || is(a, 'd', ignoreCase)) return i + 2;
        if (i + 2 >= n) return -1;
        char b = s.charAt(i + 2);
        if ((is(a, 'r', ignoreCase) || is(a, 'v', ignoreCase)) && is(b, 'e', ignoreCase)) return i + 3;
        if (is(a, 'l', ignoreCase) && is(b, 'l', ignoreCase)) return i + 3;
        return -1;
    }

    /** Case-insensitive as java.util.regex with UNICODE_CASE compares single characters. */
    private static boolean is(char c, char lower, boolean ignoreCase) {
        if (c == lower) return true;
        return ignoreCase && Character.toLowerCase(Character.toUpperCase(c)) == lower;
    }

    /** Whitespace handling shared by both families: \s+(?!\S) then \s+ (the run from i, all white space). */
    private static int whitespaceTail(String s, int i, int n) {
        int j = skipClass(s, i, n, SPACE);
        if (j == n) return j;                 // \s+(?!\S) at the end of the text
        // \s+ backtracks one character so that the next one is white space (not \S)...
        int last = j - 1;                     // white space is in the BMP: one char each
        if (last > i) return last;
        return j;                             // ...impossible for a single character: plain \s+
    }

    private static int nextLlama3(String s, int i, int n, int maxDigits) {
        char c = s.charAt(i);
        byte cls = classAt(s, i);
        int next = after(s, i);
        // (?i:'s|'t|'re|'ve|'m|'ll|'d)
        if (c == '\'') {
            int end = contraction(s, i, n, true);
            if (end > 0) return end;
        }
        // [^\r\n\p{L}\p{N}]?\p{L}+
        if (cls == LETTER) return skipClass(s, next, n, LETTER);
        if (cls != NUMBER && c != '\r' && c != '\n' && next < n && classAt(s, next) == LETTER) {
            return skipClass(s, next, n, LETTER);
        }
        // \p{N}{1,maxDigits}
        if (cls == NUMBER) {
            int end = next;
            for (int k = 1; k < maxDigits && end < n && classAt(s, end) == NUMBER; k++) end = after(s, end);
            return end;
        }
        //  ?[^\s\p{L}\p{N}]+[\r\n]*
        int otherStart = cls == OTHER ? i : (c == ' ' && next < n && classAt(s, next) == OTHER ? next : -1);
        if (otherStart >= 0) {
            int end = skipClass(s, otherStart, n, OTHER);
            while (end < n && (s.charAt(end) == '\r' || s.charAt(end) == '\n')) end++;
            return end;
        }
        // cls == SPACE from here on. \s*[\r\n]+ : up to and including the last \r or \n of the white-space run
        int j = skipClass(s, i, n, SPACE);
        for (int k = j - 1; k >= i; k--) {
            char w = s.charAt(k);
            if (w == '\r' || w == '\n') return k + 1;
        }
        return whitespaceTail(s, i, n);
    }

    private static int nextGpt2(String s, int i, int n) {
        char c = s.charAt(i);
        byte cls = classAt(s, i);
        int next = after(s, i);
        if (c == '\'') {
            int end = contraction(s, i, n, false);
            if (end > 0) return end;
        }
        // " ?\p{L}+", " ?\p{N}+", " ?[^\s\p{L}\p{N}]+": an optional space, then a run of one class
        if (cls == LETTER || cls == NUMBER || cls == OTHER) return skipClass(s, next, n, cls);
        if (c == ' ' && next < n) {
            byte nextCls = classAt(s, next);
            if (nextCls != SPACE) return skipClass(s, after(s, next), n, nextCls);
        }
        return whitespaceTail(s, i, n);
    }
}
