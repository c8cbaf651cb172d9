package armor.tokenizer;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Finds added tokens in text, as Hugging Face does before normalization and BPE: leftmost match first, the
 * longest token at that position, with the {@code lstrip}/{@code rstrip}/{@code single_word} options.
 */
final class AddedVocabulary {
    /** A piece of the input: plain text ({@code tokenId == -1}) or one added token. */
    record Segment(String text, int tokenId) {
        boolean isToken() {
            return tokenId >= 0;
        }
    }

    private final Map<Character, AddedToken[]> byFirstChar = new HashMap<>();
    private final long[] firstCharBits = new long[1024]; // quick rejection for chars below U+10000

    AddedVocabulary(List<AddedToken> tokens) {
        Map<Character, List<AddedToken>> groups = new HashMap<>();
        for (AddedToken t : tokens) {
            if (t.content().isEmpty()) continue;
            groups.computeIfAbsent(t.content().charAt(0), c -> new ArrayList<>()).add(t);
        }
        for (Map.Entry<Character, List<AddedToken>> e : groups.entrySet()) {
            AddedToken[] sorted = e.getValue().toArray(AddedToken[]::new);
            Arrays.sort(sorted, Comparator.comparingInt((AddedToken t) -> t.content().length()).reversed());
            byFirstChar.put(e.getKey(), sorted);
            char c = e.getKey();
            firstCharBits[c >>> 6] |= 1L << c;
        }
    }

    boolean isEmpty() {
        return byFirstChar.isEmpty();
    }

    /** Splits text into plain-text and token segments; empty text segments are dropped. */
    List<Segment> split(String text) {
        List<Segment> out = new ArrayList<>(2);
        if (byFirstChar.isEmpty()) {
            out.add(new Segment(text, -1));
            return out;
        }
        int textStart = 0;
        int n = text.length();
        for (int i = 0; i < n; i++) {
            char c = text.charAt(i);
            if ((firstCharBits[c >>> 6] & (1L << c)) == 0) continue;
            AddedToken match = null;
            for (AddedToken t : byFirstChar.get(c)) {
                if (text.startsWith(t.content(), i) && (!t.singleWord() || isWordBoundary(text, i, i + t.content().length()))) {
                    match = t;
                    break;
                }
            }
            if (match == null) continue;
            int start = i;
            int end = i + match.content().length();
            if (match.lstrip()) while (start > textStart && Character.isWhitespace(text.charAt(start - 1))) start--;
            if (match.rstrip()) while (end < n && Character.isWhitespace(text.charAt(end))) end++;
            if (start > textStart) out.add(new Segment(text.substring(textStart, start), -1));
            out.add(new Segment(match.content(), match.id()));
            textStart = end;
            i = end - 1;
        }
        if (textStart < n) out.add(new Segment(text.substring(textStart), -1));
        return out;
    }

    private static boolean isWordBoundary(String text, int start, int end) {
        boolean before = start == 0 || !isWordChar(text.codePointBefore(start));
        boolean after = end == text.length() || !isWordChar(text.codePointAt(end));
        return before && after;
    }

    private static boolean isWordChar(int cp) {
        return Character.isLetterOrDigit(cp) || cp == '_';
    }
}
