package armor.runtime.sparse;

import armor.runtime.quant.GptqConfig;
import armor.runtime.config.ConfigReader;
import armor.runtime.safetensors.CheckpointException;
import com.fasterxml.jackson.databind.JsonNode;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * The {@code quantization_config} block that compressed-tensors (llm-compressor, up to 0.14) writes into
 * config.json, as far as armor serves it: a {@code sparsity_config} of format {@code sparse-24-bitmask} or
 * {@code dense} (with {@code sparsity_structure}, {@code targets}, {@code ignore}); see docs/checkpoint-format.md.
 *
 * @param where             config.json's path, for errors
 * @param sparsityFormat    {@code sparsity_config.format}, or null when the block has no sparsity_config
 * @param sparsityStructure {@code sparsity_config.sparsity_structure} (e.g. {@code "2:4"}), or null
 * @param targets           {@code sparsity_config.targets}: module names, class names or {@code re:} patterns
 * @param ignore            {@code sparsity_config.ignore}, same syntax
 */
public record CompressedTensorsConfig(String where, String weights, String sparsityFormat, String sparsityStructure,
                                      List<String> targets, List<String> ignore) {
    public static final String KEY = "quantization_config";
    public static final String QUANT_METHOD = "compressed-tensors";
    public static final String BITMASK_24 = "sparse-24-bitmask";
    public static final String DENSE = "dense";
    /** The compressed-tensors release whose format armor writes (the last one with sparsity formats). */
    public static final String VERSION = "0.14.0";

    /**
     * How a compressed-tensors checkpoint stores its linears, and so which runtime kind they load as. This is the
     * one place a scheme maps to a layout: the int8 variants ({@code int-quantized} with {@code sparse-24-bitmask},
     * channel-wise scales) become constants here once the runtime has int8 kinds.
     */
    public enum Layout {
        /** {@code P.weight} in F32/F16/BF16; projections whose zeros follow 2:4 run as 2:4 under {@code --sparse auto}. */
        DENSE,
        /** {@code P.compressed} (kept values), {@code P.bitmask}, {@code P.shape}: a 2:4 core. */
        BITMASK_24
    }

    public CompressedTensorsConfig {
        targets = List.copyOf(targets);
        ignore = List.copyOf(ignore);
    }

    /** The block of {@code dir/config.json}, or empty when it has none. */
    public static Optional<CompressedTensorsConfig> read(Path dir) {
        Path cfg = dir.resolve("config.json");
        JsonNode root = ConfigReader.readJson(cfg);
        return root == null ? Optional.empty() : fromJson(root, cfg.toString());
    }

    /**
     * Parses config.json's {@code quantization_config}; empty when absent or when it declares GPTQ weights (read by
     * {@link GptqConfig}). {@code where} names the file in errors.
     */
    public static Optional<CompressedTensorsConfig> fromJson(JsonNode root, String where) {
        JsonNode q = root.get(KEY);
        if (q == null || q.isNull()) return Optional.empty();
        if (!q.isObject()) throw new CheckpointException(where + ": " + KEY + " is not a JSON object");
        String method = q.path("quant_method").asText("");
        if (GptqConfig.QUANT_METHOD.equals(method)) return Optional.empty(); // GPTQ weights: GptqConfig reads the block
        if (!QUANT_METHOD.equals(method))
            throw new CheckpointException(where + ": " + KEY + ".quant_method is \"" + method
                    + "\", expected \"" + QUANT_METHOD + "\" or \"" + GptqConfig.QUANT_METHOD + "\" (the quantization_configs armor loads)");
        String quantized = quantizedScheme(q);
        String weights = supportedWeights(q);
        if (quantized != null && weights == null)
            throw new CheckpointException(where + ": " + KEY + " declares " + quantized + " weights, which armor does "
                    + "not support yet (it loads compressed-tensors checkpoints with F32/F16/BF16 weights, symmetric "
                    + "int8 int-quantized, 4-bit int pack-quantized or fp8 float-quantized weights with channel or group scales, "
                    + "dense or sparse-24-bitmask)");
        JsonNode s = q.get("sparsity_config");
        if (s == null || s.isNull()) return Optional.of(new CompressedTensorsConfig(where, weights, null, null, List.of(), List.of()));
        if (!s.isObject()) throw new CheckpointException(where + ": " + KEY + ".sparsity_config is not a JSON object");
        String field = KEY + ".sparsity_config.";
        String format = s.path("format").asText(null);
        if (format == null)
            throw new CheckpointException(where + ": missing field " + field + "format, expected \"" + BITMASK_24 + "\" or \"" + DENSE + "\"");
        if (!BITMASK_24.equals(format) && !DENSE.equals(format))
            throw new CheckpointException(where + ": " + field + "format is \"" + format + "\", expected \"" + BITMASK_24
                    + "\" or \"" + DENSE + "\" (the 2:4 formats armor runs)");
        String structure = s.hasNonNull("sparsity_structure") ? s.get("sparsity_structure").asText() : null;
        if (BITMASK_24.equals(format) && structure != null && !structure.equals("2:4"))
            throw new CheckpointException(where + ": " + field + "sparsity_structure is \"" + structure + "\", expected \"2:4\" for format " + BITMASK_24);
        return Optional.of(new CompressedTensorsConfig(where, weights, format, structure, strings(s, "targets", where, field),
                strings(s, "ignore", where, field)));
    }

    /**
     * A description of the quantization scheme the block declares (e.g. {@code "int-quantized (int8, channel)"}), or
     * null when the weights are not quantized: only sparsity, which armor runs.
     */
    private static String quantizedScheme(JsonNode q) {
        JsonNode groups = q.get("config_groups");
        String format = q.hasNonNull("format") ? q.get("format").asText() : null;
        boolean hasGroups = groups != null && groups.isObject() && !groups.isEmpty();
        if (!hasGroups && (format == null || format.equals(DENSE))) return null;
        List<String> weights = new ArrayList<>();
        if (hasGroups) {
            for (JsonNode g : groups) {
                JsonNode w = g.path("weights");
                if (w.isObject())
                    weights.add(w.path("type").asText("?") + w.path("num_bits").asText("?") + ", " + w.path("strategy").asText("?"));
            }
        }
        String desc = "compressed-tensors " + (format == null ? "quantized" : format);
        return weights.isEmpty() ? desc : desc + " (" + String.join("; ", weights.stream().distinct().toList()) + ")";
    }

    /**
     * The quantized weights armor runs, as a short description for the load message: an {@code int-quantized} block
     * whose every weight scheme is symmetric int8 with channel or group scales (armor's own int8 folders, standard
     * W8A16 and W8A8 checkpoints), or an fp8 one ({@link #fp8Weights}). The int8 description says where activations
     * that the checkpoint quantizes run in float32 instead (W8A8 is emulated as
     * W8A16: same weights, more exact activations). Null when the block is anything else.
     */
    static String supportedWeights(JsonNode q) {
        JsonNode groups = q.get("config_groups");
        String format = q.path("format").asText("");
        if (format.equals("float-quantized")) return fp8Weights(groups);
        if (format.equals("pack-quantized")) return int4Weights(groups);
        if (!"int-quantized".equals(format) || groups == null || !groups.isObject() || groups.isEmpty())
            return null;
        boolean activations = false;
        List<String> strategies = new ArrayList<>();
        for (JsonNode g : groups) {
            JsonNode w = g.path("weights");
            String strategy = w.path("strategy").asText("");
            // activation order is refused where it shows, as a P.weight_g_idx tensor (Int8Tensors)
            if (!w.path("type").asText("").equals("int") || w.path("num_bits").asInt() != 8 || !w.path("symmetric").asBoolean(true)
                    || !(strategy.equals("channel") || strategy.equals("group")))
                return null;
            strategies.add(strategy.equals("group") ? "group " + w.path("group_size").asText("?") : strategy);
            activations |= g.hasNonNull("input_activations");
        }
        return "int8 weights (" + String.join(", ", strategies.stream().distinct().toList()) + ")"
                + (activations ? "; its int8 activations run as float32 (W8A8 emulated as W8A16)" : "");
    }

    /**
     * A {@code float-quantized} block whose every weight scheme is 8-bit float (e4m3) with channel or group scales:
     * armor has no fp8 CPU kernels, so these weights run dequantized to float32 (exact), said in the load message.
     * Null for anything else.
     */
    private static String fp8Weights(JsonNode groups) {
        if (groups == null || !groups.isObject() || groups.isEmpty()) return null;
        List<String> strategies = new ArrayList<>();
        for (JsonNode g : groups) {
            JsonNode w = g.path("weights");
            String strategy = w.path("strategy").asText("");
            if (!w.path("type").asText("").equals("float") || w.path("num_bits").asInt() != 8
                    || !(strategy.equals("channel") || strategy.equals("group")))
                return null;
            strategies.add(strategy.equals("group") ? "group " + w.path("group_size").asText("?") : strategy);
        }
        return "fp8 e4m3 weights (" + String.join(", ", strategies.stream().distinct().toList()) + ") run as float32, "
                + "dequantized at load (no fp8 kernels on the CPU; activations float32)";
    }

    /**
     * A {@code pack-quantized} block whose every weight scheme is 4-bit {@code int} with channel or group scales,
     * symmetric or with zero points (W4A16 as llm-compressor writes it): loaded as armor's dense-int4 kind
     * ({@code armor.runtime.quant.Int4Tensors}; activation order is refused where it shows, as a non-trivial
     * {@code P.weight_g_idx}). Null for anything else (other bit widths, float types, tensor or block strategies).
     */
    private static String int4Weights(JsonNode groups) {
        if (groups == null || !groups.isObject() || groups.isEmpty()) return null;
        List<String> strategies = new ArrayList<>();
        boolean activations = false;
        for (JsonNode g : groups) {
            JsonNode w = g.path("weights");
            String strategy = w.path("strategy").asText("");
            if (!w.path("type").asText("").equals("int") || w.path("num_bits").asInt() != 4
                    || !(strategy.equals("channel") || strategy.equals("group")))
                return null;
            strategies.add((strategy.equals("group") ? "group " + w.path("group_size").asText("?") : strategy)
                    + (w.path("symmetric").asBoolean(true) ? "" : ", zero points"));
            activations |= g.hasNonNull("input_activations");
        }
        return "int4 weights (" + String.join("; ", strategies.stream().distinct().toList()) + ")"
                + (activations ? "; its quantized activations run as float32" : "");
    }

    private static List<String> strings(JsonNode s, String name, String where, String field) {
        JsonNode a = s.get(name);
        if (a == null || a.isNull()) return List.of();
        if (!a.isArray()) throw new CheckpointException(where + ": " + field + name + " is not a list of strings");
        List<String> out = new ArrayList<>();
        for (JsonNode e : a) {
            if (!e.isTextual()) throw new CheckpointException(where + ": " + field + name + " holds " + e + ", expected strings");
            out.add(e.asText());
        }
        return out;
    }

    /** How the linears are stored; see {@link Layout}. */
    public Layout layout() {
        return BITMASK_24.equals(sparsityFormat) ? Layout.BITMASK_24 : Layout.DENSE;
    }

    /** A short description for load messages, e.g. {@code "compressed-tensors sparse-24-bitmask"}. */
    public String describe() {
        return "compressed-tensors " + (sparsityFormat == null ? "(no sparsity_config)" : sparsityFormat
                + (sparsityStructure == null ? "" : " " + sparsityStructure)) + (weights == null ? "" : ", " + weights);
    }

    /**
     * The leaf modules of the Hugging Face model behind these tensor names, with their class names, as
     * compressed-tensors matches {@code targets} against them: the projections and {@code lm_head} (present even when
     * tied) are {@code Linear}, the embedding {@code Embedding}, norms {@code <Arch>RMSNorm}.
     *
     * @param archPrefix the architecture without "ForCausalLM", e.g. {@code "Llama"}
     */
    public static Map<String, String> modules(Collection<String> tensorNames, String archPrefix) {
        Map<String, String> out = new LinkedHashMap<>();
        for (String name : tensorNames) {
            int dot = name.lastIndexOf('.');
            if (dot < 0) continue;
            String module = name.substring(0, dot);
            out.putIfAbsent(module, Conversions.PROJECTION.matcher(module).matches() || module.equals("lm_head") ? "Linear"
                    : module.endsWith("embed_tokens") ? "Embedding"
                    : module.endsWith("norm") ? archPrefix + "RMSNorm" : "Module");
        }
        out.putIfAbsent("lm_head", "Linear");
        return out;
    }

    /**
     * Checks that every {@code targets} entry matches at least one module (a pattern matching nothing is almost
     * always a typo or a checkpoint of another architecture); the error names the entry and what it may match.
     */
    public void checkTargets(Map<String, String> modules) {
        for (String t : targets) {
            boolean any = false;
            for (var m : modules.entrySet()) {
                if (matches(t, m.getKey(), m.getValue())) {
                    any = true;
                    break;
                }
            }
            if (!any)
                throw new CheckpointException(where + ": " + KEY + ".sparsity_config.targets entry \"" + t
                        + "\" matches no module, expected a module name (e.g. model.layers.0.mlp.down_proj), a class "
                        + "name (Linear) or a re: pattern matching one");
        }
    }

    /** True when {@code module} (of class {@code className}) is in {@code targets} and not in {@code ignore}. */
    public boolean targeted(String module, String className) {
        return targets.stream().anyMatch(t -> matches(t, module, className))
                && ignore.stream().noneMatch(t -> matches(t, module, className));
    }

    /**
     * compressed-tensors' rule: {@code re:PATTERN} is Python's {@code re.match} (anchored at the start only) on the
     * module name or the class name; anything else must equal one of them.
     */
    private boolean matches(String target, String module, String className) {
        if (target.startsWith("re:")) {
            Pattern p;
            try {
                p = Pattern.compile(target.substring(3));
            } catch (PatternSyntaxException e) {
                throw new CheckpointException(where + ": " + KEY + ".sparsity_config entry \"" + target
                        + "\" is not a valid regular expression: " + e.getDescription());
            }
            return p.matcher(module).lookingAt() || p.matcher(className).lookingAt();
        }
        return target.equals(module) || target.equals(className);
    }
}
