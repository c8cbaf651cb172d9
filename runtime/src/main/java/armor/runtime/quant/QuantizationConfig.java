package armor.runtime.quant;

import armor.runtime.safetensors.CheckpointException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * The {@code quantization_config} block of an int8 checkpoint's config.json, in the compressed-tensors
 * "int-quantized" convention (W8A16: symmetric int8 weights, float activations), so that a dense int8 folder is a
 * standard checkpoint for other tools; armor's own settings sit in its {@code armor} member
 * (docs/checkpoint-format.md).
 *
 * @param bits       8
 * @param groupSize  the group size asked for ({@code --group-size}, or the default 128); a matrix whose row it does
 *                   not divide has one group per row, and the scale tensors' shapes give each matrix's group
 * @param channel    every quantized weight has one group per row: compressed-tensors' "channel" strategy
 * @param embeddings the token embedding is int8 (a tied head with it)
 * @param headKept   the output head is in the model dtype: a tied head whose embedding is kept (compressed-tensors'
 *                   {@code ignore: ["lm_head"]}); an untied head is always int8
 * @param version    armor's version that wrote the folder
 */
public record QuantizationConfig(int bits, int groupSize, boolean channel, boolean embeddings, boolean headKept,
                                 String version) {
    public static final String KEY = "quantization_config";
    public static final String QUANT_METHOD = "compressed-tensors";
    public static final String FORMAT = "int-quantized";

    public String strategy() {
        return channel ? "channel" : "group";
    }

    public ObjectNode toJson() {
        ObjectMapper json = new ObjectMapper();
        ObjectNode o = json.createObjectNode();
        o.put("quant_method", QUANT_METHOD);
        o.put("format", FORMAT);
        o.put("quantization_status", "compressed");
        ObjectNode groups = o.putObject("config_groups");
        group(groups.putObject("group_0"), "Linear");
        if (embeddings) group(groups.putObject("group_1"), "Embedding");
        ArrayNode ignore = o.putArray("ignore");
        if (headKept) ignore.add("lm_head");
        o.putNull("kv_cache_scheme");
        ObjectNode a = o.putObject("armor");
        a.put("bits", bits);
        a.put("group_size", groupSize);
        a.put("embeddings", embeddings ? "int8" : "keep");
        a.put("version", version);
        return o;
    }

    /** compressed-tensors' format name of 4-bit weights packed eight to an int32. */
    public static final String PACK_QUANTIZED = "pack-quantized";

    /**
     * The block of a 4-bit folder ({@code armor quantize --bits 4}): compressed-tensors' {@code pack-quantized} W4A16
     * scheme for the {@code Linear} projections (the embedding and {@code lm_head} stay in the model dtype), so a dense
     * int4 folder is a standard checkpoint; {@code armor} records how it was made.
     *
     * @param groupSize the group asked for (or the default 128); {@code channel} when every matrix has one group per row
     */
    public static ObjectNode packQuantized(int groupSize, boolean channel, boolean symmetric, String method, String version) {
        ObjectMapper json = new ObjectMapper();
        ObjectNode o = json.createObjectNode();
        o.put("quant_method", QUANT_METHOD);
        o.put("format", PACK_QUANTIZED);
        o.put("quantization_status", "compressed");
        ObjectNode g = o.putObject("config_groups").putObject("group_0");
        g.putArray("targets").add("Linear");
        weights(g, 4, symmetric, channel, groupSize);
        o.putArray("ignore").add("lm_head");
        o.putNull("kv_cache_scheme");
        ObjectNode a = o.putObject("armor");
        a.put("bits", 4);
        a.put("method", method);
        a.put("group_size", groupSize);
        a.put("symmetric", symmetric);
        a.put("embeddings", "keep");
        a.put("version", version);
        return o;
    }

    /** The weights' bit width a {@code quantization_config} declares (its first config group), or 0 when it says none. */
    public static int bits(JsonNode root) {
        JsonNode groups = root == null ? null : root.path(KEY).path("config_groups");
        if (groups == null || !groups.isObject()) return 0;
        for (JsonNode g : groups) return g.path("weights").path("num_bits").asInt(0);
        return 0;
    }

    private void group(ObjectNode g, String target) {
        g.putArray("targets").add(target);
        weights(g, bits, true, channel, groupSize);
    }

    /** A config group's {@code weights} scheme (int, static, minmax; no activation quantization). */
    private static void weights(ObjectNode g, int bits, boolean symmetric, boolean channel, int groupSize) {
        ObjectNode w = g.putObject("weights");
        w.put("num_bits", bits);
        w.put("type", "int");
        w.put("symmetric", symmetric);
        w.put("strategy", channel ? "channel" : "group");
        if (channel) w.putNull("group_size");
        else w.put("group_size", groupSize);
        w.put("dynamic", false);
        w.putNull("actorder");
        w.put("observer", "minmax");
        w.putNull("block_structure");
        g.putNull("input_activations");
        g.putNull("output_activations");
    }

    /**
     * True when config.json's root describes quantized weights: a {@code quantization_config} with config groups
     * (compressed-tensors' sparsity-only configs have none), or a GPTQ one ({@link GptqConfig}).
     */
    public static boolean isQuantized(JsonNode root) {
        JsonNode q = root == null ? null : root.get(KEY);
        return q != null && q.isObject() && (q.has("config_groups") && q.get("config_groups").size() > 0 || GptqConfig.declares(root));
    }

    /** Parses the block written by {@link #toJson()}; {@code where} names the file in errors. */
    public static QuantizationConfig fromJson(JsonNode q, String where) {
        if (q == null || !q.isObject()) throw new CheckpointException(where + ": " + KEY + " is not a JSON object");
        JsonNode w = q.path("config_groups").path("group_0").path("weights");
        if (!w.isObject())
            throw new CheckpointException(where + ": " + KEY + ".config_groups.group_0.weights is missing, expected the weights' scheme");
        int bits = w.path("num_bits").asInt(0);
        if (bits != 8 || !"int".equals(w.path("type").asText()) || !w.path("symmetric").asBoolean(false))
            throw new CheckpointException(where + ": " + KEY + " describes " + w.path("num_bits") + "-bit " + w.path("type").asText()
                    + (w.path("symmetric").asBoolean(false) ? " symmetric" : " asymmetric") + " weights, expected 8-bit int symmetric");
        boolean channel = "channel".equals(w.path("strategy").asText());
        JsonNode a = q.path("armor");
        int group = a.path("group_size").asInt(w.path("group_size").asInt(0));
        boolean embeddings = a.isObject() ? !"keep".equals(a.path("embeddings").asText("int8"))
                : q.path("config_groups").has("group_1");
        boolean headKept = false;
        for (JsonNode i : q.path("ignore")) headKept |= "lm_head".equals(i.asText());
        return new QuantizationConfig(bits, group, channel, embeddings, headKept, a.path("version").asText(null));
    }
}
