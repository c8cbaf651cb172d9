package armor.tokenizer;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A tokenizer.json {@code pre_tokenizer}: cuts normalized text into the words the BPE model sees. */
sealed interface PreTokenizer {

    /**
     * Appends the words of {@code text} to {@code out}.
     *
     * @param firstSection whether this text starts the input (false after an added token was split out)
     */
    void split(String text, boolean firstSection, List<String> out);

    /** GPT-2's own split ({@link FastSplit#GPT2_REGEX}), used by {@code ByteLevel} with {@code use_regex: true}. */
    FastSplit GPT2_SCANNER = new FastSplit(FastSplit.Family.GPT2);

    /** How {@code Split} treats the matched delimiters (tokenizers' SplitDelimiterBehavior). */
    enum Behavior { REMOVED, ISOLATED, MERGED_WITH_PREVIOUS, MERGED_WITH_NEXT, CONTIGUOUS }

    /** {@code Split}: regex or literal pattern with one of the five delimiter behaviors. */
    record Split(Pattern pattern, Behavior behavior, boolean invert) implements PreTokenizer {
        @Override
        public void split(String text, boolean firstSection, List<String> out) {
            splitByPattern(text, pattern, behavior, invert, out);
        }
    }

    /** {@code Split} with one of the regexes {@link FastSplit} scans by hand (Isolated, not inverted). */
    record FastIsolated(FastSplit scanner) implements PreTokenizer {
        @Override
        public void split(String text, boolean firstSection, List<String> out) {
            scanner.split(text, out);
        }
    }

    /**
     * {@code ByteLevel}: optional prefix space and GPT-2 split. The byte-to-character mapping itself is done by
     * the BPE model (it works on the UTF-8 bytes of each word), so words stay plain text here.
     */
    record ByteLevelSplit(boolean addPrefixSpace, boolean useRegex) implements PreTokenizer {
        @Override
        public void split(String text, boolean firstSection, List<String> out) {
            if (addPrefixSpace && !text.startsWith(" ")) text = " " + text;
            if (useRegex) GPT2_SCANNER.split(text, out);
            else if (!text.isEmpty()) out.add(text);
        }
    }

    /** {@code Metaspace}: spaces become "▁", a "▁" is prepended per scheme, optionally split before each "▁". */
    record Metaspace(char replacement, String prependScheme, boolean splitWords) implements PreTokenizer {
        @Override
        public void split(String text, boolean firstSection, List<String> out) {
            String s = text.replace(' ', replacement);
            boolean prepend = switch (prependScheme) {
                case "always" -> true;
                case "first" -> firstSection;
                default -> false;
            };
            if (prepend && !s.isEmpty() && s.charAt(0) != replacement) s = replacement + s;
            if (!splitWords) {
                if (!s.isEmpty()) out.add(s);
                return;
            }
            int start = 0;
            for (int i = 1; i < s.length(); i++) {
                if (s.charAt(i) == replacement) {
                    out.add(s.substring(start, i));
                    start = i;
                }
            }
            if (start < s.length()) out.add(s.substring(start));
        }
    }

    record Sequence(List<PreTokenizer> steps) implements PreTokenizer {
        @Override
        public void split(String text, boolean firstSection, List<String> out) {
            List<String> current = List.of(text);
            for (int k = 0; k < steps.size(); k++) {
                List<String> next = k == steps.size() - 1 ? out : new ArrayList<>();
                for (String piece : current) steps.get(k).split(piece, firstSection, next);
                current = next;
            }
        }
    }

    private static void splitByPattern(String text, Pattern pattern, Behavior behavior, boolean invert,
                                       List<String> out) {
        if (behavior == Behavior.ISOLATED && !invert) { // the hot path of every byte-level tokenizer
            Matcher m = pattern.matcher(text);
            int last = 0;
            while (m.find()) {
                if (m.end() == m.start()) continue;
                if (m.start() > last) out.add(text.substring(last, m.start()));
                out.add(text.substring(m.start(), m.end()));
                last = m.end();
            }
            if (last < text.length()) out.add(text.substring(last));
            return;
        }
        // Cut the text into spans: gaps and matches (each match its own span); invert swaps their roles.
        Matcher m = pattern.matcher(text);
        List<int[]> spans = new ArrayList<>();
        int last = 0;
        while (m.find()) {
            if (m.end() == m.start()) continue;
            if (m.start() > last) spans.add(new int[] {last, m.start(), invert ? 1 : 0});
            spans.add(new int[] {m.start(), m.end(), invert ? 0 : 1});
            last = m.end();
        }
        if (last < text.length()) spans.add(new int[] {last, text.length(), invert ? 1 : 0});
        if (behavior == Behavior.MERGED_WITH_NEXT) {
            // Walk backwards: a delimiter joins the span after it unless that span is a delimiter too.
            List<String> reversed = new ArrayList<>();
            boolean nextIsDelimiter = false;
            for (int k = spans.size() - 1; k >= 0; k--) {
                int[] span = spans.get(k);
                boolean delimiter = span[2] == 1;
                String piece = text.substring(span[0], span[1]);
                if (delimiter && !nextIsDelimiter && !reversed.isEmpty()) {
                    reversed.set(reversed.size() - 1, piece + reversed.get(reversed.size() - 1));
                } else {
                    reversed.add(piece);
                }
                nextIsDelimiter = delimiter;
            }
            for (int k = reversed.size() - 1; k >= 0; k--) out.add(reversed.get(k));
            return;
        }
        int outStart = out.size();
        boolean previousIsDelimiter = false;
        for (int[] span : spans) {
            String piece = text.substring(span[0], span[1]);
            boolean delimiter = span[2] == 1;
            boolean hasPrevious = out.size() > outStart;
            if (!delimiter) {
                out.add(piece);
            } else {
                switch (behavior) {
                    case REMOVED -> { }
                    case ISOLATED -> out.add(piece);
                    case MERGED_WITH_PREVIOUS, CONTIGUOUS -> {
                        boolean merge = behavior == Behavior.MERGED_WITH_PREVIOUS ? !previousIsDelimiter
                                : previousIsDelimiter;
                        if (merge && hasPrevious) out.set(out.size() - 1, out.get(out.size() - 1) + piece);
                        else out.add(piece);
                    }
                    default -> throw new AssertionError(behavior);
                }
            }
            previousIsDelimiter = delimiter;
        }
    }
}
