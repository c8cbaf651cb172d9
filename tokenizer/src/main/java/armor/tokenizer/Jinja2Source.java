package armor.tokenizer;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Rewrites a Jinja2 template so that Jinjava gives it Jinja2's meaning, where the two parse differently:
 * <ul>
 *   <li>Jinja2 drops one trailing newline of the source ({@code keep_trailing_newline=False});</li>
 *   <li>{@code x[::-1]} (Jinjava has no step slices) becomes {@code (x|reverse|list)};</li>
 *   <li>in Jinja2 {@code not} binds more loosely than tests and comparisons ({@code not x is defined} is
 *       {@code not (x is defined)}); Jinjava binds it tightly, so the parentheses are made explicit.</li>
 * </ul>
 * Only code inside {@code {{ }}} and {@code {% %}} is touched, never string literals or template text.
 */
final class Jinja2Source {
    private Jinja2Source() {}

    private static final Pattern TAG = Pattern.compile("\\{\\{.*?}}|\\{%.*?%}", Pattern.DOTALL);
    private static final Pattern STRING = Pattern.compile("'(?:[^'\\\\]|\\\\.)*'|\"(?:[^\"\\\\]|\\\\.)*\"");
    private static final String OPERAND =
            "(?:\u0001\\d+\u0001|-?\\d+(?:\\.\\d+)?|[A-Za-z_][\\w.]*(?:\\[[^\\]]*])*)(?:\\s*\\|\\s*\\w+)*";
    /**
     * {@code not <operand> <test or comparison> <operand>}; conservative: when the second operand continues
     * beyond what the pattern understands (a call, a filter with arguments...), nothing is rewritten.
     */
    private static final Pattern NOT_COMPARISON = Pattern.compile("(?<![\\w.])not\\s+(" + OPERAND
            + "(?:\\s+is\\s+not\\s+\\w+|\\s+is\\s+\\w+|(?:\\s*(?:==|!=|<=|>=|<|>)|\\s+not\\s+in\\b|\\s+in\\b)\\s*(?:"
            + OPERAND + "|\\[[^\\]]*])))(?![\\w.(\\[|])");
    private static final Pattern REVERSE_SLICE = Pattern.compile("([A-Za-z_][\\w.]*)\\[::-1]");

    static String toJinjava(String source) {
        String s = source.endsWith("\n") ? source.substring(0, source.length() - 1) : source;
        Matcher tag = TAG.matcher(s);
        StringBuilder out = new StringBuilder(s.length() + 64);
        int last = 0;
        while (tag.find()) {
            out.append(s, last, tag.start()).append(rewriteCode(tag.group()));
            last = tag.end();
        }
        return out.append(s.substring(last)).toString();
    }

    private static String rewriteCode(String code) {
        if (code.startsWith("{#")) return code;
        // Hide string literals behind placeholders so that their text is never rewritten.
        List<String> strings = new ArrayList<>();
        Matcher str = STRING.matcher(code);
        StringBuilder hidden = new StringBuilder();
        int last = 0;
        while (str.find()) {
            hidden.append(code, last, str.start()).append('\u0001').append(strings.size()).append('\u0001');
            strings.add(str.group());
            last = str.end();
        }
        hidden.append(code.substring(last));
        String c = REVERSE_SLICE.matcher(hidden).replaceAll("($1|reverse|list)");
        c = NOT_COMPARISON.matcher(c).replaceAll("not ($1)");
        Matcher placeholder = Pattern.compile("\u0001(\\d+)\u0001").matcher(c);
        StringBuilder restored = new StringBuilder();
        while (placeholder.find()) {
            placeholder.appendReplacement(restored, Matcher.quoteReplacement(strings.get(Integer.parseInt(placeholder.group(1)))));
        }
        placeholder.appendTail(restored);
        return restored.toString();
    }
}
