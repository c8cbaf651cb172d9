package armor.tokenizer;

import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Compiles the Oniguruma regular expressions of tokenizer.json with java.util.regex, keeping Oniguruma's
 * Unicode meaning: {@code \s} is the Unicode White_Space property (java's {@code \s} is ASCII only) and
 * {@code (?i)} folds case by Unicode rules.
 */
final class OnigurumaRegex {
    private OnigurumaRegex() {}

    static Pattern compile(String onig, String where) {
        StringBuilder java = new StringBuilder(onig.length() + 32);
        for (int i = 0; i < onig.length(); i++) {
            char c = onig.charAt(i);
            if (c == '\\' && i + 1 < onig.length()) {
                char next = onig.charAt(++i);
                switch (next) {
                    case 's' -> java.append("\\p{IsWhite_Space}");
                    case 'S' -> java.append("\\P{IsWhite_Space}");
                    default -> java.append(c).append(next);
                }
            } else if (c == '(' && onig.startsWith("(?i", i) && i + 3 < onig.length()
                    && (onig.charAt(i + 3) == ':' || onig.charAt(i + 3) == ')')) {
                java.append("(?iu");
                i += 2;
            } else {
                java.append(c);
            }
        }
        try {
            return Pattern.compile(java.toString());
        } catch (PatternSyntaxException e) {
            throw new IllegalArgumentException(where + ": regex " + onig + " is not supported: " + e.getDescription());
        }
    }
}
