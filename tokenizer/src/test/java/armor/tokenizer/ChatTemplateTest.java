package armor.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Chat templates rendered as transformers' apply_chat_template does. Expected strings are written from the
 * models' documented prompt formats (Qwen2.5: ChatML with a default system prompt; Llama 3.2: header ids, a
 * system block with the knowledge cutoff and today's date, trimmed contents).
 */
class ChatTemplateTest {
    static final Clock MARCH_5_2025 = Clock.fixed(Instant.parse("2025-03-05T10:00:00Z"), ZoneOffset.UTC);
    static Tokenizer qwen;
    static Tokenizer llama3;

    @BeforeAll
    static void load() throws IOException {
        qwen = SharedData.tokenizer("qwen2.5-tokenizer");
        llama3 = SharedData.tokenizer("llama3-tokenizer");
    }

    static JinjaChatTemplate template(Tokenizer t) {
        return ((JinjaChatTemplate) t.chatTemplate().orElseThrow()).withClock(MARCH_5_2025);
    }

    static ChatMessage m(String role, String content) {
        return new ChatMessage(role, content);
    }

    static final List<ChatMessage> MULTI_TURN = List.of(
            m("system", "You are a pirate."), m("user", "Hi"), m("assistant", "Arr!"), m("user", "Where is the treasure?"));

    @Test
    void qwenSingleUserTurnGetsDefaultSystemPrompt() {
        assertEquals("<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n"
                        + "<|im_start|>user\nHello<|im_end|>\n<|im_start|>assistant\n",
                template(qwen).render(List.of(m("user", "Hello")), true));
    }

    @Test
    void qwenMultiTurnWithAndWithoutGenerationPrompt() {
        String conversation = "<|im_start|>system\nYou are a pirate.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n"
                + "<|im_start|>assistant\nArr!<|im_end|>\n<|im_start|>user\nWhere is the treasure?<|im_end|>\n";
        assertEquals(conversation + "<|im_start|>assistant\n", template(qwen).render(MULTI_TURN, true));
        assertEquals(conversation, template(qwen).render(MULTI_TURN, false));
    }

    @Test
    void qwenToolsAreListedAsPythonJson() {
        Map<String, Object> function = new LinkedHashMap<>();
        function.put("name", "get_weather");
        function.put("parameters", Map.of("type", "object"));
        Map<String, Object> tool = new LinkedHashMap<>();
        tool.put("type", "function");
        tool.put("function", function);
        String out = template(qwen).render(List.of(m("user", "Weather?")), true, Map.of("tools", List.of(tool)));
        assertEquals("<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.\n\n# Tools\n\n"
                + "You may call one or more functions to assist with the user query.\n\n"
                + "You are provided with function signatures within <tools></tools> XML tags:\n<tools>\n"
                + "{\"type\": \"function\", \"function\": {\"name\": \"get_weather\", \"parameters\": {\"type\": \"object\"}}}\n"
                + "</tools>\n\nFor each function call, return a json object with function name and arguments within "
                + "<tool_call></tool_call> XML tags:\n<tool_call>\n{\"name\": <function-name>, \"arguments\": "
                + "<args-json-object>}\n</tool_call><|im_end|>\n<|im_start|>user\nWeather?<|im_end|>\n"
                + "<|im_start|>assistant\n", out);
    }

    static final String LLAMA_SYSTEM_HEADER = "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\n"
            + "Cutting Knowledge Date: December 2023\nToday Date: 05 Mar 2025\n\n";

    @Test
    void llama32SingleUserTurnWithTodaysDate() {
        assertEquals(LLAMA_SYSTEM_HEADER + "<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nHello<|eot_id|>"
                        + "<|start_header_id|>assistant<|end_header_id|>\n\n",
                template(llama3).render(List.of(m("user", "Hello")), true));
    }

    @Test
    void llama32MultiTurnTrimsContents() {
        List<ChatMessage> messages = List.of(m("system", " Be brief. "), m("user", "Hi\n"),
                m("assistant", "Hello! How can I help?"), m("user", "  What is 2+2?"));
        String conversation = LLAMA_SYSTEM_HEADER + "Be brief.<|eot_id|>"
                + "<|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>"
                + "<|start_header_id|>assistant<|end_header_id|>\n\nHello! How can I help?<|eot_id|>"
                + "<|start_header_id|>user<|end_header_id|>\n\nWhat is 2+2?<|eot_id|>";
        assertEquals(conversation + "<|start_header_id|>assistant<|end_header_id|>\n\n",
                template(llama3).render(messages, true));
        assertEquals(conversation, template(llama3).render(messages, false));
    }

    @Test
    void llama32ToolResultStringIsJsonQuotedAsInJinja2() {
        // In Python a str "is iterable", so the template emits the tool result through tojson.
        String out = template(llama3).render(List.of(m("user", "Weather?"), m("tool", "sunny")), false);
        assertTrue(out.endsWith("<|start_header_id|>ipython<|end_header_id|>\n\n\"sunny\"<|eot_id|>"), out);
    }

    @Test
    void llama32DateStringVariableOverridesTheClock() {
        String out = template(llama3).render(List.of(m("user", "Hello")), true, Map.of("date_string", "26 Jul 2024"));
        assertTrue(out.contains("Today Date: 26 Jul 2024\n"), out);
    }

    @Test
    void llama31TemplateFallsBackToItsOwnDefaultDate() throws IOException {
        String source = Files.readString(SharedData.model("llama3-tokenizer/meta-llama-Llama-3.1-8B-Instruct.jinja"));
        JinjaChatTemplate t = new JinjaChatTemplate(source, Map.of("bos_token", "<|begin_of_text|>"), MARCH_5_2025);
        assertEquals("<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\n"
                + "Cutting Knowledge Date: December 2023\nToday Date: 26 Jul 2024\n\n<|eot_id|>"
                + "<|start_header_id|>user<|end_header_id|>\n\nHello<|eot_id|>"
                + "<|start_header_id|>assistant<|end_header_id|>\n\n", t.render(List.of(m("user", "Hello")), true));
    }

    @Test
    void templateThatRaisesGivesAClearError() {
        // Llama 3.2 raises when tools are given but there is no user message to put them in.
        ChatTemplateException e = assertThrows(ChatTemplateException.class, () -> template(llama3).render(
                List.of(m("system", "s")), true, Map.of("tools", List.of(Map.of("name", "f")))));
        assertTrue(e.getMessage().contains("Cannot put tools in the first user message"), e.getMessage());
    }

    @Test
    void pythonStringMethodsSlicesAndNamespacesBehaveLikeJinja2() {
        String source = """
                {%- set ns = namespace(last_user=-1) %}
                {%- for message in messages[::-1] %}
                    {%- if ns.last_user < 0 and message.role == 'user' %}{% set ns.last_user = loop.index0 %}{% endif %}
                {%- endfor %}
                {{- ns.last_user }}|
                {%- for message in messages %}
                    {{- message.content.strip() + ',' }}
                    {{- message.content.startswith('<think>') }},{{ message.content.endswith(('x', '>')) }},
                    {{- message.content.split('>') | length }},{{ message.content.lstrip(' <') }};
                {%- endfor %}
                {{- '\\n' ~ {'a': [1, 'b'], 'c': none} | tojson }}
                {{- '\\n' }}{{ ['x', 'y'] }}
                """;
        JinjaChatTemplate t = new JinjaChatTemplate(source, Map.of(), MARCH_5_2025);
        String out = t.render(List.of(m("user", "<think>a</think> "), m("assistant", "ok"), m("user", "u")), false);
        assertEquals("0|<think>a</think>,True,False,3,think>a</think> ;ok,False,False,1,ok;u,False,False,1,u;"
                + "\n{\"a\": [1, \"b\"], \"c\": null}\n['x', 'y']", out.replace("true", "True").replace("false", "False"));
    }

    @Test
    void generationTagRendersItsBody() {
        String source = "{% for m in messages %}{% if m.role == 'assistant' %}{% generation %}{{ m.content }}!"
                + "{% endgeneration %}{% else %}{{ m.content }}|{% endif %}{% endfor %}";
        JinjaChatTemplate t = new JinjaChatTemplate(source, Map.of(), MARCH_5_2025);
        assertEquals("hi|yo!", t.render(List.of(m("user", "hi"), m("assistant", "yo")), false));
    }

    @Test
    void notBindsLooselyAsInJinja2() {
        String source = "{{ not x is defined }}|{{ not y is defined }}|{{ not x == 'w' }}|{{ not x in ['w'] }}|"
                + "{{ 'not a is b' }}|{{ not messages|length == 1 }}|{% if not messages[0].role is string %}bad{% endif %}"
                + "{{ not messages[0] is not mapping }}|{{ not x == y|default('v') }}|{{ not x == 'v'|upper }}\n";
        JinjaChatTemplate t = new JinjaChatTemplate(source, Map.of(), MARCH_5_2025);
        // Jinja2: False|True|True|True|not a is b|False|True|False|True (the single trailing newline is dropped)
        assertEquals("false|true|true|true|not a is b|false|true|false|true",
                t.render(List.of(m("user", "u")), false, Map.of("x", "v")));
    }

    @Test
    void modelsWithoutTemplateUseThePlainFallback() throws IOException {
        Tokenizer stories = SharedData.tokenizer("stories260K-hf");
        assertTrue(stories.chatTemplate().isEmpty());
        assertEquals("Once upon a time", stories.chatTemplateOrPlain().render(List.of(m("user", "Once upon a time")), true));
        assertEquals("Be kind.\nOnce upon a time",
                stories.chatTemplateOrPlain().render(List.of(m("system", "Be kind."), m("user", "Once upon a time")), false));
    }
}
