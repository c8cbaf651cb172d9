package armor.tokenizer;

import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.LegacyOverrides;
import com.hubspot.jinjava.el.JinjavaInterpreterResolver;
import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.interpret.RenderResult;
import com.hubspot.jinjava.interpret.TemplateError;
import com.hubspot.jinjava.lib.filter.Filter;
import com.hubspot.jinjava.lib.fn.ELFunctionDefinition;
import java.time.Clock;
import java.time.ZonedDateTime;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import jinjava.javax.el.CompositeELResolver;

/**
 * A Hugging Face chat template rendered with Jinjava, set up to behave like the Jinja2 environment of
 * transformers' {@code apply_chat_template}: {@code trim_blocks} and {@code lstrip_blocks}, {@code {{-}} trimming
 * on expressions, Python operator precedence and string escapes, the globals {@code raise_exception} and
 * {@code strftime_now}, a Python-style {@code tojson}, and Python's str/dict methods.
 *
 * <p>Variables passed, as transformers does: {@code messages}, {@code add_generation_prompt}, {@code tools}
 * (none), the special tokens ({@code bos_token}, {@code eos_token}, {@code unk_token}, {@code pad_token}) and any
 * extra variables given to {@link #render(List, boolean, Map)} (e.g. {@code date_string}). {@code strftime_now}
 * reads the clock given at construction, so tests can fix "today".
 */
public final class JinjaChatTemplate implements ChatTemplate {
    private static final String CLOCK_KEY = "__armor_clock";

    /** The Jinjava engine, built on first render (it takes a while; tokenizing alone never needs it). */
    private static final class Engine {
        static final Jinjava JINJAVA = newJinjava();
    }

    private final String originalSource;
    private final String source; // rewritten for Jinjava
    private final Map<String, Object> specialTokens;
    private final Clock clock;

    /**
     * @param source        the Jinja source ({@code chat_template} of tokenizer_config.json)
     * @param specialTokens template variables such as {@code bos_token} → "&lt;s&gt;"
     * @param clock         what {@code strftime_now} calls "now"
     */
    public JinjaChatTemplate(String source, Map<String, Object> specialTokens, Clock clock) {
        this.originalSource = source;
        this.source = Jinja2Source.toJinjava(source);
        this.specialTokens = Map.copyOf(specialTokens);
        this.clock = clock;
    }

    /** The same template with another clock for {@code strftime_now}. */
    public JinjaChatTemplate withClock(Clock other) {
        return new JinjaChatTemplate(originalSource, specialTokens, other);
    }

    @Override
    public String render(List<ChatMessage> messages, boolean addGenerationPrompt) {
        return render(messages, addGenerationPrompt, Map.of());
    }

    /** Renders with extra template variables (they override the defaults). */
    public String render(List<ChatMessage> messages, boolean addGenerationPrompt, Map<String, Object> variables) {
        Map<String, Object> context = new HashMap<>(specialTokens);
        List<Map<String, Object>> list = new java.util.ArrayList<>(messages.size());
        for (ChatMessage m : messages) {
            Map<String, Object> message = new LinkedHashMap<>();
            message.put("role", m.role());
            message.put("content", m.content());
            list.add(message);
        }
        context.put("messages", list);
        context.put("add_generation_prompt", addGenerationPrompt);
        context.put("tools", null);
        context.put("strftime_now", "strftime_now"); // makes `strftime_now is defined` true, as in transformers
        context.put("raise_exception", "raise_exception");
        context.putAll(variables);
        context.put(CLOCK_KEY, clock);
        RenderResult result = Engine.JINJAVA.renderForResult(source, context);
        for (TemplateError error : result.getErrors()) {
            if (error.getSeverity() == TemplateError.ErrorType.FATAL) throw new ChatTemplateException(describe(error));
        }
        return result.getOutput();
    }

    private static String describe(TemplateError error) {
        for (Throwable t = error.getException(); t != null; t = t.getCause()) {
            if (t instanceof TemplateRaised raised) return "chat template raised an exception: " + raised.getMessage();
        }
        return "chat template failed at line " + error.getLineno() + ": " + error.getMessage();
    }

    private static Jinjava newJinjava() {
        CompositeELResolver resolver = new CompositeELResolver();
        resolver.add(new PythonMethods());
        resolver.add(JinjavaInterpreterResolver.DEFAULT_RESOLVER_READ_WRITE);
        LegacyOverrides python = LegacyOverrides.newBuilder()
                .withUseNaturalOperatorPrecedence(true)
                .withParseWhitespaceControlStrictly(true)
                .withHandleBackslashInQuotesOnly(true)
                .withEvaluateMapKeys(true)
                .withIterateOverMapKeys(true)
                .withKeepNullableLoopValues(true)
                .withUseTrimmingForNotesAndExpressions(true)
                .withUsePyishObjectMapper(true) // {{ list }} prints ['a', 'b'] and {{ dict }} {'k': 'v'}, as Python
                .build();
        JinjavaConfig config = JinjavaConfig.newBuilder()
                .withTrimBlocks(true)
                .withLstripBlocks(true)
                .withLegacyOverrides(python)
                .withElResolver(resolver)
                .build();
        Jinjava jinjava = new Jinjava(config);
        jinjava.getGlobalContext().registerFunction(new ELFunctionDefinition(
                "", "raise_exception", JinjaChatTemplate.class, "raiseException", String.class));
        jinjava.getGlobalContext().registerFunction(new ELFunctionDefinition(
                "", "strftime_now", JinjaChatTemplate.class, "strftimeNow", String.class));
        jinjava.getGlobalContext().registerFilter(new ToJson());
        jinjava.getGlobalContext().registerTag(new GenerationTag());
        jinjava.getGlobalContext().registerExpTest(new PythonIterable("iterable"));
        jinjava.getGlobalContext().registerExpTest(new PythonIterable("sequence"));
        return jinjava;
    }

    /** {@code raise_exception(message)}: aborts rendering with the template's message. */
    public static Object raiseException(String message) {
        throw new TemplateRaised(message);
    }

    /** {@code strftime_now(format)}: the render's clock, formatted like Python's strftime. */
    public static String strftimeNow(String format) {
        Object clock = JinjavaInterpreter.getCurrent().getContext().get(CLOCK_KEY);
        Clock c = clock instanceof Clock given ? given : Clock.systemDefaultZone();
        return PythonStrftime.format(format, ZonedDateTime.now(c));
    }

    private static final class TemplateRaised extends RuntimeException {
        TemplateRaised(String message) {
            super(message);
        }
    }

    /**
     * transformers' {@code {% generation %}...{% endgeneration %}} (it marks the assistant's tokens for training
     * masks): renders its body unchanged, as apply_chat_template does for a prompt.
     */
    private static final class GenerationTag implements com.hubspot.jinjava.lib.tag.Tag {
        @Override
        public String getName() {
            return "generation";
        }

        @Override
        public String interpret(com.hubspot.jinjava.tree.TagNode tag, JinjavaInterpreter interpreter) {
            StringBuilder out = new StringBuilder();
            for (com.hubspot.jinjava.tree.Node child : tag.getChildren()) out.append(child.render(interpreter).getValue());
            return out.toString();
        }
    }

    /** Python's notion: strings, lists and dicts are iterable (and sequences); Jinjava leaves strings out. */
    private record PythonIterable(String getName) implements com.hubspot.jinjava.lib.exptest.ExpTest {
        @Override
        public boolean evaluate(Object value, JinjavaInterpreter interpreter, Object... args) {
            return value instanceof CharSequence || value instanceof Iterable<?> || value instanceof Map<?, ?>
                    || (value != null && value.getClass().isArray());
        }
    }

    /** {@code tojson(indent=None)} as json.dumps(ensure_ascii=False) writes it. */
    private static final class ToJson implements Filter {
        @Override
        public String getName() {
            return "tojson";
        }

        @Override
        public Object filter(Object value, JinjavaInterpreter interpreter, String... args) {
            Integer indent = args.length > 0 && args[0] != null ? Integer.valueOf(args[0]) : null;
            return PythonJson.dumps(value, indent);
        }

        @Override
        public Object filter(Object value, JinjavaInterpreter interpreter, Object[] args, Map<String, Object> kwargs) {
            Object indent = kwargs.get("indent");
            if (indent == null && args.length > 0) indent = args[0];
            return PythonJson.dumps(value, indent == null ? null : ((Number) (indent instanceof String s
                    ? Integer.valueOf(s) : indent)).intValue());
        }
    }
}
