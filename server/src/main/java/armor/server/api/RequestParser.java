package armor.server.api;

import armor.runtime.generate.SamplingParams;
import armor.tokenizer.ChatMessage;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Turns request bodies into validated records. Every field OpenAI defines is either honoured or refused with a
 * 400 naming it; nothing is silently ignored. Fields set to JSON null mean "use the default", as in OpenAI's API.
 */
public final class RequestParser {
    /** Fields honoured by both endpoints. */
    private static final Set<String> COMMON = Set.of("model", "max_tokens", "temperature", "top_p", "top_k", "min_p",
            "seed", "stop", "n", "stream", "stream_options", "logprobs", "presence_penalty", "frequency_penalty",
            "repetition_penalty", "user");
    private static final Set<String> CHAT_ONLY = Set.of("messages", "max_completion_tokens", "top_logprobs");
    private static final Set<String> COMPLETION_ONLY = Set.of("prompt", "echo");
    private static final Set<String> ROLES = Set.of("system", "developer", "user", "assistant");
    private static final int MAX_STOP = 16; // OpenAI allows 4; lm-evaluation-harness may send more
    private static final int MAX_TOP_LOGPROBS_CHAT = 20;
    private static final int MAX_LOGPROBS_COMPLETION = 5;

    private static final ObjectMapper JSON = JsonMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .build();

    static {
        JSON.getFactory().setStreamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(64).build());
    }

    private final RequestLimits limits;
    private final SecureRandom seeds = new SecureRandom();

    public RequestParser(RequestLimits limits) {
        this.limits = limits;
    }

    /** Parses a body as strict UTF-8 JSON that must be an object. */
    public static JsonNode parseJsonObject(byte[] body) {
        if (body.length == 0) throw ApiException.invalid(null, "The request body is empty; expected a JSON object.");
        try {
            StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(body));
        } catch (CharacterCodingException e) {
            throw ApiException.invalid(null, "The request body is not valid UTF-8.");
        }
        JsonNode root;
        try (JsonParser p = JSON.createParser(body)) {
            root = JSON.readTree(p);
        } catch (Exception e) {
            String msg = e.getMessage() == null ? e.toString() : e.getMessage().lines().findFirst().orElse("");
            throw ApiException.invalid(null, "The request body is not valid JSON: " + msg);
        }
        if (root == null || !root.isObject()) {
            throw ApiException.invalid(null, "The request body must be a JSON object, found "
                    + (root == null ? "nothing" : root.getNodeType().toString().toLowerCase()) + ".");
        }
        return root;
    }

    public ChatCompletionRequest parseChat(JsonNode root) {
        checkKnownFields(root, CHAT_ONLY);
        String model = requiredString(root, "model");
        List<ChatMessage> messages = messages(root);
        Integer maxTokens = maxTokens(root, true);
        boolean stream = bool(root, "stream", false);
        boolean includeUsage = streamOptions(root, stream);
        boolean logprobs = bool(root, "logprobs", false);
        Integer top = optInt(root, "top_logprobs", 0, MAX_TOP_LOGPROBS_CHAT);
        if (top != null && !logprobs) {
            throw ApiException.invalid("top_logprobs", "'top_logprobs' requires 'logprobs' to be true.");
        }
        int logprobCount = logprobs ? (top == null ? 0 : top) : -1;
        GenerationParams params = params(root, maxTokens, logprobCount, false);
        return new ChatCompletionRequest(model, messages, params, stream, includeUsage, optString(root, "user"));
    }

    public CompletionRequest parseCompletion(JsonNode root) {
        checkKnownFields(root, COMPLETION_ONLY);
        String model = requiredString(root, "model");
        List<PromptInput> prompts = prompts(root);
        Integer maxTokens = maxTokens(root, false);
        boolean stream = bool(root, "stream", false);
        boolean includeUsage = streamOptions(root, stream);
        Integer logprobs = optInt(root, "logprobs", 0, MAX_LOGPROBS_COMPLETION);
        boolean echo = bool(root, "echo", false);
        // OpenAI's legacy default is 16 tokens; keep it so clients written against it behave the same.
        if (maxTokens == null) maxTokens = Math.min(16, limits.maxTokens());
        if (maxTokens == 0 && !echo) {
            throw ApiException.invalid("max_tokens", "'max_tokens' is 0 but 'echo' is false: nothing would be returned.");
        }
        GenerationParams params = params(root, maxTokens, logprobs == null ? -1 : logprobs, echo);
        return new CompletionRequest(model, prompts, params, stream, includeUsage, optString(root, "user"));
    }

    private GenerationParams params(JsonNode root, Integer maxTokens, int logprobs, boolean echo) {
        float temperature = optFloat(root, "temperature", 0f, 2f, 1f);
        float topP = optFloat(root, "top_p", 0f, 1f, 1f);
        if (root.hasNonNull("top_p") && topP == 0f) {
            throw ApiException.invalid("top_p", "'top_p' must be in (0, 1], found 0.");
        }
        Integer topK = optInt(root, "top_k", -1, Integer.MAX_VALUE);
        float minP = optFloat(root, "min_p", 0f, 1f, 0f);
        float presence = optFloat(root, "presence_penalty", -2f, 2f, 0f);
        float frequency = optFloat(root, "frequency_penalty", -2f, 2f, 0f);
        // vLLM's and transformers' extension: > 0, 1 = off; capped where it stops meaning anything
        float repetition = optFloat(root, "repetition_penalty", 0f, 100f, 1f);
        if (root.hasNonNull("repetition_penalty") && repetition == 0f) {
            throw ApiException.invalid("repetition_penalty", "'repetition_penalty' must be in (0, 100], found 0.");
        }
        Long seed = optLong(root, "seed");
        Integer n = optInt(root, "n", 1, limits.maxN());
        List<String> stop = stop(root);
        long s = seed != null ? seed : seeds.nextLong();
        SamplingParams sampling = new SamplingParams(temperature, topK == null ? 0 : Math.max(topK, 0), topP, minP,
                presence, frequency, repetition, s);
        return new GenerationParams(maxTokens, stop, n == null ? 1 : n, sampling, logprobs, echo, seed != null);
    }

    private void checkKnownFields(JsonNode root, Set<String> endpointFields) {
        for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> f = it.next();
            String name = f.getKey();
            if (COMMON.contains(name) || endpointFields.contains(name)) continue;
            if (f.getValue().isNull()) continue;
            if (CHAT_ONLY.contains(name) || COMPLETION_ONLY.contains(name)) {
                throw ApiException.unsupported(name, "'" + name + "' is not a parameter of this endpoint.");
            }
            throw ApiException.unsupported(name, "Unsupported parameter: '" + name
                    + "' is not supported by this server (remove it rather than have it silently ignored).");
        }
    }

    private List<ChatMessage> messages(JsonNode root) {
        JsonNode arr = root.get("messages");
        if (arr == null || arr.isNull()) throw ApiException.invalid("messages", "Missing required parameter: 'messages'.");
        if (!arr.isArray()) throw wrongType("messages", "an array", arr);
        if (arr.isEmpty()) throw ApiException.invalid("messages", "'messages' must contain at least one message.");
        List<ChatMessage> out = new ArrayList<>(arr.size());
        for (int i = 0; i < arr.size(); i++) {
            String where = "messages[" + i + "]";
            JsonNode m = arr.get(i);
            if (!m.isObject()) throw wrongType(where, "an object", m);
            for (Iterator<String> it = m.fieldNames(); it.hasNext(); ) {
                String f = it.next();
                if (!f.equals("role") && !f.equals("content") && !m.get(f).isNull()) {
                    throw ApiException.unsupported(where + "." + f, "Unsupported message field '" + f + "' in " + where + ".");
                }
            }
            JsonNode role = m.get("role");
            if (role == null || role.isNull()) throw ApiException.invalid(where + ".role", "Missing 'role' in " + where + ".");
            if (!role.isTextual()) throw wrongType(where + ".role", "a string", role);
            if (!ROLES.contains(role.asText())) {
                throw ApiException.invalid(where + ".role", "Invalid role '" + role.asText() + "' in " + where
                        + "; expected one of system, developer, user, assistant.");
            }
            String r = role.asText().equals("developer") ? "system" : role.asText();
            out.add(new ChatMessage(r, content(m.get("content"), where + ".content")));
        }
        return List.copyOf(out);
    }

    private static String content(JsonNode c, String where) {
        if (c == null || c.isNull()) throw ApiException.invalid(where, "Missing '" + where + "'.");
        if (c.isTextual()) return c.asText();
        if (!c.isArray()) throw wrongType(where, "a string or an array of text parts", c);
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < c.size(); i++) {
            JsonNode part = c.get(i);
            String pw = where + "[" + i + "]";
            if (!part.isObject()) throw wrongType(pw, "an object", part);
            JsonNode type = part.get("type");
            if (type == null || !type.isTextual()) throw ApiException.invalid(pw + ".type", "Missing string 'type' in " + pw + ".");
            if (!type.asText().equals("text")) {
                throw ApiException.unsupported(pw + ".type", "Content part type '" + type.asText()
                        + "' is not supported; only 'text' parts are.");
            }
            JsonNode text = part.get("text");
            if (text == null || !text.isTextual()) throw wrongType(pw + ".text", "a string", text);
            sb.append(text.asText());
        }
        return sb.toString();
    }

    private static List<PromptInput> prompts(JsonNode root) {
        JsonNode p = root.get("prompt");
        if (p == null || p.isNull()) throw ApiException.invalid("prompt", "Missing required parameter: 'prompt'.");
        if (p.isTextual()) return List.of(new PromptInput.Text(p.asText()));
        if (!p.isArray()) throw wrongType("prompt", "a string, an array of strings, or an array of token ids", p);
        if (p.isEmpty()) throw ApiException.invalid("prompt", "'prompt' must not be an empty array.");
        if (p.get(0).isIntegralNumber()) return List.of(new PromptInput.Tokens(tokenIds(p, "prompt")));
        List<PromptInput> out = new ArrayList<>();
        for (int i = 0; i < p.size(); i++) {
            JsonNode e = p.get(i);
            String where = "prompt[" + i + "]";
            if (e.isTextual()) out.add(new PromptInput.Text(e.asText()));
            else if (e.isArray()) {
                if (e.isEmpty()) throw ApiException.invalid(where, "'" + where + "' must not be an empty array.");
                out.add(new PromptInput.Tokens(tokenIds(e, where)));
            } else throw wrongType(where, "a string or an array of token ids", e);
        }
        return List.copyOf(out);
    }

    private static int[] tokenIds(JsonNode arr, String where) {
        int[] ids = new int[arr.size()];
        for (int i = 0; i < ids.length; i++) {
            JsonNode e = arr.get(i);
            if (!e.isIntegralNumber() || !e.canConvertToInt() || e.asInt() < 0) {
                throw ApiException.invalid(where, "'" + where + "' must be an array of non-negative integer token ids; element "
                        + i + " is " + e + ".");
            }
            ids[i] = e.asInt();
        }
        return ids;
    }

    private Integer maxTokens(JsonNode root, boolean chat) {
        Integer a = optInt(root, "max_tokens", 0, Integer.MAX_VALUE);
        Integer b = chat ? optInt(root, "max_completion_tokens", 0, Integer.MAX_VALUE) : null;
        if (a != null && b != null && !a.equals(b)) {
            throw ApiException.invalid("max_completion_tokens",
                    "'max_tokens' (" + a + ") and 'max_completion_tokens' (" + b + ") disagree; give one of them.");
        }
        Integer v = b != null ? b : a;
        String name = b != null ? "max_completion_tokens" : "max_tokens";
        if (v == null) return null;
        if (chat && v == 0) throw ApiException.invalid(name, "'" + name + "' must be at least 1, found 0.");
        if (v > limits.maxTokens()) {
            throw ApiException.invalid(name, "'" + name + "' is " + v + " but this server allows at most "
                    + limits.maxTokens() + " (--max-tokens).");
        }
        return v;
    }

    private static boolean streamOptions(JsonNode root, boolean stream) {
        JsonNode so = root.get("stream_options");
        if (so == null || so.isNull()) return false;
        if (!so.isObject()) throw wrongType("stream_options", "an object", so);
        if (!stream) throw ApiException.invalid("stream_options", "'stream_options' is only allowed when 'stream' is true.");
        for (Iterator<String> it = so.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!f.equals("include_usage")) {
                throw ApiException.unsupported("stream_options." + f, "Unsupported parameter 'stream_options." + f + "'.");
            }
        }
        return bool(so, "include_usage", false, "stream_options.include_usage");
    }

    private static List<String> stop(JsonNode root) {
        JsonNode s = root.get("stop");
        if (s == null || s.isNull()) return List.of();
        List<String> out = new ArrayList<>();
        if (s.isTextual()) out.add(s.asText());
        else if (s.isArray()) {
            if (s.size() > MAX_STOP) {
                throw ApiException.invalid("stop", "'stop' has " + s.size() + " sequences; at most " + MAX_STOP + " are allowed.");
            }
            for (int i = 0; i < s.size(); i++) {
                if (!s.get(i).isTextual()) throw wrongType("stop[" + i + "]", "a string", s.get(i));
                out.add(s.get(i).asText());
            }
        } else throw wrongType("stop", "a string or an array of strings", s);
        for (String x : out) if (x.isEmpty()) throw ApiException.invalid("stop", "Stop sequences must not be empty strings.");
        return List.copyOf(out);
    }

    private static String requiredString(JsonNode root, String name) {
        JsonNode v = root.get(name);
        if (v == null || v.isNull()) throw ApiException.invalid(name, "Missing required parameter: '" + name + "'.");
        if (!v.isTextual()) throw wrongType(name, "a string", v);
        return v.asText();
    }

    private static String optString(JsonNode root, String name) {
        JsonNode v = root.get(name);
        if (v == null || v.isNull()) return null;
        if (!v.isTextual()) throw wrongType(name, "a string", v);
        return v.asText();
    }

    private static boolean bool(JsonNode root, String name, boolean dflt) {
        return bool(root, name, dflt, name);
    }

    private static boolean bool(JsonNode root, String name, boolean dflt, String param) {
        JsonNode v = root.get(name);
        if (v == null || v.isNull()) return dflt;
        if (!v.isBoolean()) throw wrongType(param, "a boolean", v);
        return v.asBoolean();
    }

    private static Integer optInt(JsonNode root, String name, int min, int max) {
        JsonNode v = root.get(name);
        if (v == null || v.isNull()) return null;
        if (!v.isIntegralNumber() || !v.canConvertToInt()) throw wrongType(name, "an integer", v);
        int x = v.asInt();
        if (x < min || x > max) {
            throw ApiException.invalid(name, "'" + name + "' must be between " + min + " and " + max + ", found " + x + ".");
        }
        return x;
    }

    private static Long optLong(JsonNode root, String name) {
        JsonNode v = root.get(name);
        if (v == null || v.isNull()) return null;
        if (!v.isIntegralNumber() || !v.canConvertToLong()) throw wrongType(name, "an integer", v);
        return v.asLong();
    }

    private static float optFloat(JsonNode root, String name, float min, float max, float dflt) {
        JsonNode v = root.get(name);
        if (v == null || v.isNull()) return dflt;
        if (!v.isNumber()) throw wrongType(name, "a number", v);
        double x = v.asDouble();
        if (!(x >= min && x <= max)) {
            throw ApiException.invalid(name, "'" + name + "' must be between " + min + " and " + max + ", found " + v + ".");
        }
        return (float) x;
    }

    private static ApiException wrongType(String param, String expected, JsonNode found) {
        String kind = found == null ? "nothing" : found.getNodeType().toString().toLowerCase();
        String shown = found == null ? "" : " " + abbreviate(found.toString());
        return new ApiException(400, "invalid_request_error", param, "invalid_type",
                "Invalid type for '" + param + "': expected " + expected + ", found " + kind + shown + ".");
    }

    private static String abbreviate(String s) {
        return s.length() <= 40 ? s : s.substring(0, 37) + "...";
    }
}
