package armor.tokenizer;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.regex.Pattern;

/**
 * Builds an {@link HfTokenizer} from a Hugging Face model folder: {@code tokenizer.json} (or GPT-2's
 * {@code vocab.json} + {@code merges.txt}), {@code tokenizer_config.json} (BOS/EOS, {@code add_bos_token},
 * {@code add_eos_token}, {@code chat_template}) and {@code chat_template.jinja} when present.
 * Every error names the file and the field that is wrong.
 */
final class TokenizerLoader {
    private static final ObjectMapper JSON = new ObjectMapper();

    private TokenizerLoader() {}

    static Tokenizer load(Path modelDir) throws IOException {
        Path tokenizerJson = modelDir.resolve("tokenizer.json");
        JsonNode config = readJsonIfExists(modelDir.resolve("tokenizer_config.json"));
        String chatTemplate = chatTemplate(modelDir, config);
        if (Files.isRegularFile(tokenizerJson)) {
            return fromTokenizerJson(TokenizerJsonFile.read(tokenizerJson), tokenizerJson.toString(), config, chatTemplate);
        }
        Path vocab = modelDir.resolve("vocab.json");
        Path merges = modelDir.resolve("merges.txt");
        if (Files.isRegularFile(vocab) && Files.isRegularFile(merges)) {
            return fromVocabAndMerges(vocab, merges, config, chatTemplate);
        }
        throw new IOException(modelDir + ": no tokenizer.json (nor vocab.json + merges.txt) in this folder");
    }

    private static JsonNode readJson(Path file) throws IOException {
        try {
            return JSON.readTree(file.toFile());
        } catch (JsonProcessingException e) {
            throw new IOException(file + ": not valid JSON: " + e.getOriginalMessage());
        }
    }

    private static JsonNode readJsonIfExists(Path file) throws IOException {
        return Files.isRegularFile(file) ? readJson(file) : JSON.createObjectNode();
    }

    /** chat_template.jinja wins over tokenizer_config.json (as in transformers); a named list picks "default". */
    private static String chatTemplate(Path modelDir, JsonNode config) throws IOException {
        Path jinja = modelDir.resolve("chat_template.jinja");
        if (Files.isRegularFile(jinja)) return Files.readString(jinja);
        JsonNode t = config.path("chat_template");
        if (t.isTextual()) return t.asText();
        if (t.isArray()) {
            for (JsonNode named : t) if ("default".equals(named.path("name").asText())) return named.path("template").asText();
            if (!t.isEmpty()) return t.get(0).path("template").asText();
        }
        return null;
    }

    /** GPT-2 style: byte-level BPE from vocab.json and merges.txt (the "#version" header line is optional). */
    static Tokenizer fromVocabAndMerges(Path vocabFile, Path mergesFile, JsonNode config, String chatTemplate)
            throws IOException {
        JsonNode vocabJson = readJson(vocabFile);
        Map<String, Integer> vocab = new HashMap<>();
        vocabJson.fields().forEachRemaining(e -> vocab.put(e.getKey(), e.getValue().asInt()));
        List<String[]> merges = new ArrayList<>();
        int lineNo = 0;
        for (String line : Files.readAllLines(mergesFile)) {
            lineNo++;
            if (line.isEmpty() || (lineNo == 1 && line.startsWith("#version"))) continue;
            int space = line.indexOf(' ');
            if (space <= 0) throw new IOException(mergesFile + ": line " + lineNo + " is not 'left right': " + line);
            merges.add(new String[] {line.substring(0, space), line.substring(space + 1)});
        }
        BpeModel model;
        try {
            model = new BpeModel(vocab, merges, null, false, false, false, null, null, true);
        } catch (IllegalArgumentException e) {
            throw new IOException(mergesFile + ": " + e.getMessage());
        }
        List<AddedToken> added = new ArrayList<>();
        Integer eot = vocab.get("<|endoftext|>");
        if (eot != null) added.add(new AddedToken(eot, "<|endoftext|>", true, false, false, false, false));
        return assemble(added, null, new PreTokenizer.ByteLevelSplit(false, true), model, PostProcessor.NONE,
                new Decoder.ByteLevelDecoder(), config, chatTemplate, vocabFile.toString());
    }

    static Tokenizer fromTokenizerJson(TokenizerJsonFile json, String file, JsonNode config, String chatTemplate)
            throws IOException {
        JsonNode root = json.root();
        try {
            List<AddedToken> added = new ArrayList<>();
            int index = 0;
            for (JsonNode t : root.path("added_tokens")) {
                if (!t.path("id").canConvertToInt() || t.path("id").asInt() < 0 || !t.path("content").isTextual()) {
                    throw new IllegalArgumentException("added_tokens[" + index + "] needs a non-negative integer id and a "
                            + "string content, got " + t);
                }
                index++;
                added.add(new AddedToken(t.path("id").asInt(), t.path("content").asText(),
                        t.path("special").asBoolean(false), t.path("lstrip").asBoolean(false),
                        t.path("rstrip").asBoolean(false), t.path("single_word").asBoolean(false),
                        t.path("normalized").asBoolean(false)));
            }
            Normalizer normalizer = normalizer(root.path("normalizer"), "normalizer");
            PreTokenizer preTokenizer = preTokenizer(root.path("pre_tokenizer"), "pre_tokenizer");
            boolean byteLevel = usesByteLevel(root.path("pre_tokenizer"));
            BpeModel model = model(root.path("model"), json.vocab(), json.merges(), byteLevel);
            PostProcessor post = postProcessor(root.path("post_processor"), "post_processor");
            Decoder decoder = decoder(root.path("decoder"), "decoder");
            return assemble(added, normalizer, preTokenizer, model, post, decoder, config, chatTemplate, file);
        } catch (IllegalArgumentException e) {
            throw new IOException(file + ": " + e.getMessage(), e);
        }
    }

    private static Tokenizer assemble(List<AddedToken> added, Normalizer normalizer, PreTokenizer preTokenizer,
                                      BpeModel model, PostProcessor post, Decoder decoder, JsonNode config,
                                      String chatTemplate, String where) throws IOException {
        Map<String, Integer> addedIds = new HashMap<>();
        for (AddedToken t : added) addedIds.put(t.content(), t.id());
        java.util.function.Function<String, OptionalInt> idOf = token -> {
            if (token == null) return OptionalInt.empty();
            Integer id = addedIds.get(token);
            if (id == null) id = model.tokenToId(token);
            return id == null ? OptionalInt.empty() : OptionalInt.of(id);
        };
        String bosToken = tokenString(config.path("bos_token"));
        String eosToken = tokenString(config.path("eos_token"));
        OptionalInt bos = idOf.apply(bosToken);
        OptionalInt eos = idOf.apply(eosToken);
        // A bos/eos_token missing from the vocabulary leaves the id empty; it is an error only where it must be added.
        // transformers' Llama-family tokenizers rebuild the post-processor from these two flags.
        if (config.has("add_bos_token") || config.has("add_eos_token")) {
            boolean addBos = config.path("add_bos_token").asBoolean(false);
            boolean addEos = config.path("add_eos_token").asBoolean(false);
            if (addBos && bos.isEmpty()) {
                throw new IOException(where + ": tokenizer_config.json has add_bos_token but its bos_token "
                        + (bosToken == null ? "is not set" : "'" + bosToken + "' is not in the vocabulary"));
            }
            if (addEos && eos.isEmpty()) {
                throw new IOException(where + ": tokenizer_config.json has add_eos_token but its eos_token "
                        + (eosToken == null ? "is not set" : "'" + eosToken + "' is not in the vocabulary"));
            }
            post = new PostProcessor(addBos ? new int[] {bos.getAsInt()} : new int[0],
                    addEos ? new int[] {eos.getAsInt()} : new int[0]);
        }
        Map<String, Object> specialTokens = new LinkedHashMap<>();
        for (String name : List.of("bos_token", "eos_token", "unk_token", "pad_token")) {
            String token = tokenString(config.path(name));
            if (token != null) specialTokens.put(name, token);
        }
        if (config.path("additional_special_tokens").isArray()) {
            List<String> extra = new ArrayList<>();
            for (JsonNode t : config.path("additional_special_tokens")) extra.add(tokenString(t));
            specialTokens.put("additional_special_tokens", extra);
        }
        return new HfTokenizer(added, normalizer, preTokenizer, model, post, decoder, bos, eos,
                chatTemplate == null ? null : new JinjaChatTemplate(chatTemplate, specialTokens, Clock.systemDefaultZone()));
    }

    /** A special token in tokenizer_config.json is a string or an AddedToken object with "content". */
    private static String tokenString(JsonNode node) {
        if (node.isTextual()) return node.asText();
        if (node.isObject() && node.path("content").isTextual()) return node.path("content").asText();
        return null;
    }

    private static BpeModel model(JsonNode m, Map<String, Integer> vocab, List<String[]> merges, boolean byteLevel) {
        String type = m.path("type").asText("BPE"); // old files omit the type of a BPE model
        if (!type.equals("BPE")) {
            throw new IllegalArgumentException("model.type '" + type + "' is not supported (supported: BPE)");
        }
        if (vocab == null) throw new IllegalArgumentException("model.vocab is missing");
        if (!m.path("dropout").isNull() && !m.path("dropout").isMissingNode() && m.path("dropout").asDouble() != 0) {
            throw new IllegalArgumentException("model.dropout " + m.path("dropout") + " is not supported (only null)");
        }
        return new BpeModel(vocab, merges == null ? List.of() : merges, textOrNull(m.path("unk_token")), m.path("fuse_unk").asBoolean(false),
                m.path("byte_fallback").asBoolean(false), m.path("ignore_merges").asBoolean(false),
                textOrNull(m.path("continuing_subword_prefix")), textOrNull(m.path("end_of_word_suffix")), byteLevel);
    }

    private static String textOrNull(JsonNode n) {
        return n.isTextual() ? n.asText() : null;
    }

    private static boolean usesByteLevel(JsonNode p) {
        if (p.isNull() || p.isMissingNode()) return false;
        if ("ByteLevel".equals(p.path("type").asText())) return true;
        for (JsonNode step : p.path("pretokenizers")) if (usesByteLevel(step)) return true;
        return false;
    }

    private static Normalizer normalizer(JsonNode n, String where) {
        if (n.isNull() || n.isMissingNode()) return null;
        String type = n.path("type").asText();
        return switch (type) {
            case "NFC" -> new Normalizer.Nfc();
            case "NFKC" -> new Normalizer.Nfkc();
            case "NFD" -> new Normalizer.Nfd();
            case "Lowercase" -> new Normalizer.Lowercase();
            case "Prepend" -> new Normalizer.Prepend(n.path("prepend").asText());
            case "Replace" -> {
                JsonNode pattern = n.path("pattern");
                String content = n.path("content").asText();
                if (pattern.has("String")) yield new Normalizer.Replace(pattern.path("String").asText(), content);
                if (pattern.has("Regex")) {
                    yield new Normalizer.ReplaceRegex(OnigurumaRegex.compile(pattern.path("Regex").asText(), where), content);
                }
                throw new IllegalArgumentException(where + ".pattern must have String or Regex: " + pattern);
            }
            case "Sequence" -> {
                List<Normalizer> steps = new ArrayList<>();
                int i = 0;
                for (JsonNode step : n.path("normalizers")) {
                    Normalizer s = normalizer(step, where + ".normalizers[" + i++ + "]");
                    if (s != null) steps.add(s);
                }
                yield new Normalizer.Sequence(List.copyOf(steps));
            }
            default -> throw new IllegalArgumentException(where + ": normalizer type '" + type + "' is not supported "
                    + "(supported: NFC, NFKC, NFD, Lowercase, Prepend, Replace, Sequence)");
        };
    }

    private static PreTokenizer preTokenizer(JsonNode p, String where) {
        if (p.isNull() || p.isMissingNode()) return null;
        String type = p.path("type").asText();
        return switch (type) {
            case "Split" -> {
                JsonNode pattern = p.path("pattern");
                FastSplit fast = pattern.has("Regex") ? FastSplit.forRegex(pattern.path("Regex").asText()) : null;
                if (fast != null && p.path("behavior").asText().equals("Isolated") && !p.path("invert").asBoolean(false)) {
                    yield new PreTokenizer.FastIsolated(fast);
                }
                Pattern regex;
                if (pattern.has("Regex")) regex = OnigurumaRegex.compile(pattern.path("Regex").asText(), where);
                else if (pattern.has("String")) regex = Pattern.compile(Pattern.quote(pattern.path("String").asText()));
                else throw new IllegalArgumentException(where + ".pattern must have String or Regex: " + pattern);
                yield new PreTokenizer.Split(regex, behavior(p.path("behavior").asText(), where),
                        p.path("invert").asBoolean(false));
            }
            case "ByteLevel" -> new PreTokenizer.ByteLevelSplit(p.path("add_prefix_space").asBoolean(false),
                    p.path("use_regex").asBoolean(true));
            case "Metaspace" -> {
                String scheme = p.has("prepend_scheme") ? p.path("prepend_scheme").asText()
                        : p.path("add_prefix_space").asBoolean(true) ? "always" : "never";
                if (!List.of("always", "first", "never").contains(scheme)) {
                    throw new IllegalArgumentException(where + ".prepend_scheme '" + scheme
                            + "' is not one of always, first, never");
                }
                yield new PreTokenizer.Metaspace(p.path("replacement").asText("\u2581").charAt(0), scheme,
                        p.path("split").asBoolean(true));
            }
            case "Whitespace" -> new PreTokenizer.Split(OnigurumaRegex.compile("\\w+|[^\\w\\s]+", where),
                    PreTokenizer.Behavior.REMOVED, true);
            case "WhitespaceSplit" -> new PreTokenizer.Split(OnigurumaRegex.compile("\\s+", where),
                    PreTokenizer.Behavior.REMOVED, false);
            case "Digits" -> new PreTokenizer.Split(Pattern.compile(p.path("individual_digits").asBoolean(false)
                    ? "\\p{Nd}" : "\\p{Nd}+"), PreTokenizer.Behavior.ISOLATED, false);
            case "Sequence" -> {
                List<PreTokenizer> steps = new ArrayList<>();
                int i = 0;
                for (JsonNode step : p.path("pretokenizers")) {
                    PreTokenizer s = preTokenizer(step, where + ".pretokenizers[" + i++ + "]");
                    if (s != null) steps.add(s);
                }
                yield new PreTokenizer.Sequence(List.copyOf(steps));
            }
            default -> throw new IllegalArgumentException(where + ": pre-tokenizer type '" + type + "' is not supported "
                    + "(supported: Split, ByteLevel, Metaspace, Whitespace, WhitespaceSplit, Digits, Sequence)");
        };
    }

    private static PreTokenizer.Behavior behavior(String name, String where) {
        return switch (name) {
            case "Removed" -> PreTokenizer.Behavior.REMOVED;
            case "Isolated" -> PreTokenizer.Behavior.ISOLATED;
            case "MergedWithPrevious" -> PreTokenizer.Behavior.MERGED_WITH_PREVIOUS;
            case "MergedWithNext" -> PreTokenizer.Behavior.MERGED_WITH_NEXT;
            case "Contiguous" -> PreTokenizer.Behavior.CONTIGUOUS;
            default -> throw new IllegalArgumentException(where + ".behavior '" + name + "' is not one of Removed, "
                    + "Isolated, MergedWithPrevious, MergedWithNext, Contiguous");
        };
    }

    private static PostProcessor postProcessor(JsonNode p, String where) {
        if (p.isNull() || p.isMissingNode()) return PostProcessor.NONE;
        String type = p.path("type").asText();
        return switch (type) {
            case "ByteLevel" -> PostProcessor.NONE;
            case "TemplateProcessing" -> {
                List<Integer> prefix = new ArrayList<>();
                List<Integer> suffix = new ArrayList<>();
                boolean seenSequence = false;
                for (JsonNode piece : p.path("single")) {
                    if (piece.has("Sequence")) {
                        seenSequence = true;
                    } else if (piece.has("SpecialToken")) {
                        String id = piece.path("SpecialToken").path("id").asText();
                        JsonNode special = p.path("special_tokens").path(id);
                        if (!special.path("ids").isArray()) {
                            throw new IllegalArgumentException(where + ".special_tokens has no entry '" + id + "'");
                        }
                        for (JsonNode i : special.path("ids")) (seenSequence ? suffix : prefix).add(i.asInt());
                    } else {
                        throw new IllegalArgumentException(where + ".single has an unknown piece: " + piece);
                    }
                }
                yield new PostProcessor(prefix.stream().mapToInt(Integer::intValue).toArray(),
                        suffix.stream().mapToInt(Integer::intValue).toArray());
            }
            case "BertProcessing", "RobertaProcessing" -> new PostProcessor(
                    new int[] {p.path("cls").get(1).asInt()}, new int[] {p.path("sep").get(1).asInt()});
            case "Sequence" -> {
                List<Integer> prefix = new ArrayList<>();
                List<Integer> suffix = new ArrayList<>();
                int i = 0;
                for (JsonNode step : p.path("processors")) {
                    PostProcessor s = postProcessor(step, where + ".processors[" + i++ + "]");
                    for (int id : s.prefix()) prefix.add(id);
                    for (int id : s.suffix()) suffix.add(id);
                }
                yield new PostProcessor(prefix.stream().mapToInt(Integer::intValue).toArray(),
                        suffix.stream().mapToInt(Integer::intValue).toArray());
            }
            default -> throw new IllegalArgumentException(where + ": post-processor type '" + type + "' is not supported "
                    + "(supported: TemplateProcessing, ByteLevel, BertProcessing, RobertaProcessing, Sequence)");
        };
    }

    private static Decoder decoder(JsonNode d, String where) {
        if (d.isNull() || d.isMissingNode()) return null;
        String type = d.path("type").asText();
        return switch (type) {
            case "ByteLevel" -> new Decoder.ByteLevelDecoder();
            case "ByteFallback" -> new Decoder.ByteFallback();
            case "Fuse" -> new Decoder.Fuse();
            case "Replace" -> {
                JsonNode pattern = d.path("pattern");
                if (!pattern.has("String")) {
                    throw new IllegalArgumentException(where + ".pattern: only String patterns are supported, got " + pattern);
                }
                yield new Decoder.Replace(pattern.path("String").asText(), d.path("content").asText());
            }
            case "Strip" -> new Decoder.Strip(d.path("content").asText(" ").charAt(0), d.path("start").asInt(0),
                    d.path("stop").asInt(0));
            case "Metaspace" -> {
                String scheme = d.has("prepend_scheme") ? d.path("prepend_scheme").asText()
                        : d.path("add_prefix_space").asBoolean(true) ? "always" : "never";
                yield new Decoder.Metaspace(d.path("replacement").asText("\u2581").charAt(0), !scheme.equals("never"));
            }
            case "Sequence" -> {
                List<Decoder> steps = new ArrayList<>();
                int i = 0;
                for (JsonNode step : d.path("decoders")) {
                    Decoder s = decoder(step, where + ".decoders[" + i++ + "]");
                    if (s != null) steps.add(s);
                }
                yield new Decoder.Sequence(List.copyOf(steps));
            }
            default -> throw new IllegalArgumentException(where + ": decoder type '" + type + "' is not supported "
                    + "(supported: ByteLevel, ByteFallback, Fuse, Replace, Strip, Metaspace, Sequence)");
        };
    }
}
