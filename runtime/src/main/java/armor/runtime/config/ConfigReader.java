package armor.runtime.config;

import armor.runtime.safetensors.CheckpointException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Reads {@code config.json} (and {@code generation_config.json} when present) of Llama, Qwen2 and Qwen3 checkpoints.
 * Both RoPE config styles found in the wild are accepted: top-level {@code rope_theta} with {@code rope_scaling}
 * (transformers ≤ 4.x), and {@code rope_parameters} holding {@code rope_theta}, {@code rope_type} and the scaling
 * fields (transformers 5). Every problem names the file and field.
 */
public final class ConfigReader {
    private static final ObjectMapper JSON = new ObjectMapper();

    private ConfigReader() {}

    public static ModelConfig read(Path modelDir) {
        Path file = modelDir.resolve("config.json");
        JsonNode root = readJson(file);
        if (root == null) throw new CheckpointException(file + ": file not found");
        ModelConfig config = parse(file.toString(), root);
        JsonNode gen = readJson(modelDir.resolve("generation_config.json"));
        if (gen != null && gen.has("eos_token_id")) {
            Set<Integer> eos = new LinkedHashSet<>(config.eosTokenIds());
            eos.addAll(ids(modelDir.resolve("generation_config.json").toString(), gen.get("eos_token_id")));
            config = withEos(config, List.copyOf(eos));
        }
        return config;
    }

    private static ModelConfig withEos(ModelConfig c, List<Integer> eos) {
        return new ModelConfig(c.architecture(), c.hiddenSize(), c.intermediateSize(), c.numLayers(), c.numHeads(),
                c.numKvHeads(), c.headDim(), c.vocabSize(), c.maxPositions(), c.rmsNormEps(), c.ropeTheta(),
                c.ropeScaling(), c.tieWordEmbeddings(), c.qkvBias(), c.oBias(), c.mlpBias(), c.qkNorm(),
                c.bosTokenId(), eos, c.dtype());
    }

    /** Parses a config.json tree; {@code where} names the file in error messages. */
    public static ModelConfig parse(String where, JsonNode root) {
        if (!root.isObject()) throw new CheckpointException(where + ": expected a JSON object");
        JsonNode archs = root.get("architectures");
        String archName = archs != null && archs.isArray() && !archs.isEmpty() ? archs.get(0).asText() : null;
        if (archName == null) {
            throw new CheckpointException(where + ": missing field architectures, expected one of "
                    + "LlamaForCausalLM, Qwen2ForCausalLM, Qwen3ForCausalLM");
        }
        Architecture arch = Architecture.fromHfName(archName);
        if (arch == null) {
            throw new CheckpointException(where + ": unsupported architecture " + archName
                    + ", expected one of LlamaForCausalLM, Qwen2ForCausalLM, Qwen3ForCausalLM");
        }
        String act = text(where, root, "hidden_act", "silu");
        if (!act.equals("silu")) {
            throw new CheckpointException(where + ": unsupported hidden_act " + act + ", expected silu");
        }
        if (bool(where, root, "use_sliding_window")) {
            throw new CheckpointException(where + ": use_sliding_window is true; sliding-window attention is not "
                    + "supported, expected false");
        }
        int hidden = positive(where, root, "hidden_size");
        int heads = positive(where, root, "num_attention_heads");
        int kvHeads = root.has("num_key_value_heads") && !root.get("num_key_value_heads").isNull()
                ? positive(where, root, "num_key_value_heads") : heads;
        if (heads % kvHeads != 0) {
            throw new CheckpointException(where + ": num_attention_heads " + heads
                    + " is not a multiple of num_key_value_heads " + kvHeads);
        }
        int headDim;
        if (root.has("head_dim") && !root.get("head_dim").isNull()) {
            headDim = positive(where, root, "head_dim");
        } else {
            if (hidden % heads != 0) {
                throw new CheckpointException(where + ": hidden_size " + hidden
                        + " is not a multiple of num_attention_heads " + heads + " and head_dim is not given");
            }
            headDim = hidden / heads;
        }
        if (headDim % 2 != 0) throw new CheckpointException(where + ": head_dim " + headDim + " is odd, expected even");

        JsonNode ropeParams = root.get("rope_parameters");
        JsonNode ropeScaling = root.get("rope_scaling");
        double theta;
        JsonNode scalingNode;
        String scalingField;
        if (ropeParams != null && ropeParams.isObject()) {
            theta = ropeParams.has("rope_theta") ? number(where, ropeParams, "rope_parameters.", "rope_theta", 0)
                    : number(where, root, "", "rope_theta", 10000.0);
            scalingNode = ropeParams;
            scalingField = "rope_parameters";
        } else {
            theta = number(where, root, "", "rope_theta", 10000.0);
            scalingNode = ropeScaling != null && ropeScaling.isObject() ? ropeScaling : null;
            scalingField = "rope_scaling";
        }
        if (!(theta > 0)) {
            throw new CheckpointException(where + ": field rope_theta is " + theta + ", expected a positive number");
        }
        int maxPos = root.has("max_position_embeddings") ? positive(where, root, "max_position_embeddings") : 2048;
        RopeScaling scaling = scaling(where, scalingField, scalingNode, maxPos);

        boolean attentionBias = bool(where, root, "attention_bias");
        boolean qkvBias = arch == Architecture.QWEN2 || attentionBias;
        boolean oBias = arch != Architecture.QWEN2 && attentionBias;
        boolean mlpBias = bool(where, root, "mlp_bias");
        List<Integer> eos = root.has("eos_token_id") ? ids(where, root.get("eos_token_id")) : List.of();
        int bos = -1;
        JsonNode bosNode = root.get("bos_token_id");
        if (bosNode != null && !bosNode.isNull()) {
            if (!bosNode.isIntegralNumber() || !bosNode.canConvertToInt() || bosNode.asInt() < 0) {
                throw new CheckpointException(where + ": field bos_token_id is " + bosNode
                        + ", expected a token id (an integer >= 0) or null");
            }
            bos = bosNode.asInt();
        }
        String dtype = text(where, root, "torch_dtype", text(where, root, "dtype", "float32"));
        // 1e-6 is transformers' LlamaConfig default; a zero, negative or non-finite eps makes every norm NaN or inf.
        double eps = number(where, root, "", "rms_norm_eps", 1e-6);
        if (!(eps > 0) || (float) eps == 0f) {
            throw new CheckpointException(where + ": field rms_norm_eps is " + eps
                    + ", expected a finite positive number (such as 1e-5)");
        }
        return new ModelConfig(arch, hidden, positive(where, root, "intermediate_size"),
                positive(where, root, "num_hidden_layers"), heads, kvHeads, headDim,
                positive(where, root, "vocab_size"), maxPos, (float) eps,
                theta, scaling, bool(where, root, "tie_word_embeddings"),
                qkvBias, oBias, mlpBias, arch == Architecture.QWEN3, bos, eos, dtype);
    }

    private static RopeScaling scaling(String where, String field, JsonNode node, int maxPos) {
        if (node == null) return RopeScaling.NONE;
        String typeField = node.has("rope_type") ? "rope_type" : "type";
        String type = text(where + ": " + field, node, typeField, "default");
        String prefix = field + ".";
        double factor = number(where, node, prefix, "factor", 1.0);
        switch (type) {
            case "default":
                return RopeScaling.NONE;
            case "linear", "dynamic":
                requireFactor(where, field, factor);
                return new RopeScaling(type, factor, 1, 4, node.has("original_max_position_embeddings")
                        ? positive(where + ": " + field, node,
                                "original_max_position_embeddings") : maxPos);
            case "llama3":
                requireFactor(where, field, factor);
                for (String f : new String[]{"low_freq_factor", "high_freq_factor", "original_max_position_embeddings"}) {
                    if (!node.has(f)) throw new CheckpointException(where + ": missing field " + field + "." + f
                            + " (needed by rope_type llama3)");
                }
                double low = number(where, node, prefix, "low_freq_factor", 0);
                double high = number(where, node, prefix, "high_freq_factor", 0);
                if (!(high > low)) {
                    throw new CheckpointException(where + ": " + field + ".high_freq_factor " + high
                            + " must be greater than low_freq_factor " + low);
                }
                return new RopeScaling(type, factor, low, high, positive(where + ": " + field, node,
                        "original_max_position_embeddings"));
            default:
                throw new CheckpointException(where + ": unsupported " + field + ".rope_type " + type
                        + ", expected one of default, linear, dynamic, llama3");
        }
    }

    private static void requireFactor(String where, String field, double factor) {
        if (!(factor >= 1)) {
            throw new CheckpointException(where + ": " + field + ".factor " + factor + ", expected a number >= 1");
        }
    }

    private static List<Integer> ids(String where, JsonNode node) {
        List<Integer> out = new ArrayList<>();
        if (node == null || node.isNull()) return out;
        if (node.isArray()) {
            for (JsonNode n : node) {
                if (!n.isIntegralNumber() || !n.canConvertToInt() || n.asInt() < 0) {
                    throw new CheckpointException(where + ": eos_token_id holds " + n + ", expected token ids"
                            + " (integers >= 0)");
                }
                out.add(n.asInt());
            }
        } else if (node.isIntegralNumber() && node.canConvertToInt() && node.asInt() >= 0) {
            out.add(node.asInt());
        } else {
            throw new CheckpointException(where + ": eos_token_id " + node + ", expected an id or a list of ids");
        }
        return out;
    }

    private static int positive(String where, JsonNode root, String field) {
        JsonNode n = root.get(field);
        if (n == null || n.isNull()) throw new CheckpointException(where + ": missing field " + field);
        if (!n.canConvertToInt() || !n.isIntegralNumber() || n.asInt() <= 0) {
            throw new CheckpointException(where + ": field " + field + " is " + n + ", expected a positive integer");
        }
        return n.asInt();
    }

    /**
     * A JSON number (a string such as "NaN" or "1e-5" is refused: Jackson's {@code asDouble} would read it as 0 or
     * parse it, neither of which is what the file says), finite.
     */
    private static double number(String where, JsonNode root, String prefix, String field, double dflt) {
        JsonNode n = root.get(field);
        if (n == null || n.isNull()) return dflt;
        if (!n.isNumber() || !Double.isFinite(n.asDouble())) {
            throw new CheckpointException(where + ": field " + prefix + field + " is " + n + ", expected a finite number");
        }
        return n.asDouble();
    }

    private static boolean bool(String where, JsonNode root, String field) {
        JsonNode n = root.get(field);
        if (n == null || n.isNull()) return false;
        if (!n.isBoolean()) throw new CheckpointException(where + ": field " + field + " is " + n + ", expected true or false");
        return n.asBoolean();
    }

    private static String text(String where, JsonNode root, String field, String dflt) {
        JsonNode n = root.get(field);
        if (n == null || n.isNull()) return dflt;
        if (!n.isTextual()) throw new CheckpointException(where + ": field " + field + " is " + n + ", expected a string");
        return n.asText();
    }

    /** Jackson's parse error as one line of ours: where in the file, and what was found (no library advice). */
    static String describe(com.fasterxml.jackson.core.JsonProcessingException e) {
        String found = e.getOriginalMessage();
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("token '([^']*)'").matcher(found);
        String what = m.find() ? "'" + m.group(1) + "' is not a JSON value (numbers must be finite, strings quoted)"
                : found.lines().findFirst().orElse("")
                        .replaceAll(" *\\(start marker.*$|:? *(enable|set|consider) .*$", "");
        var loc = e.getLocation();
        return loc == null ? what : "line " + loc.getLineNr() + ", column " + loc.getColumnNr() + ": " + what;
    }

    /** A JSON file of a model folder (config.json, ...), or null when it does not exist; errors name the file. */
    public static JsonNode readJson(Path file) {
        if (!Files.isRegularFile(file)) return null;
        try {
            return JSON.readTree(file.toFile());
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new CheckpointException(file + ": not valid JSON at " + describe(e));
        } catch (IOException e) {
            throw new CheckpointException(file + ": cannot read: " + e.getMessage());
        }
    }
}
