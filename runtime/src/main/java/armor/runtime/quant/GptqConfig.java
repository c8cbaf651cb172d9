package armor.runtime.quant;

import armor.runtime.config.ConfigReader;
import armor.runtime.safetensors.CheckpointException;
import com.fasterxml.jackson.databind.JsonNode;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The {@code quantization_config} of a GPTQ checkpoint (AutoGPTQ, GPTQModel, transformers/optimum) in config.json, as
 * far as armor runs it (docs/checkpoint-format.md, "GPTQ checkpoints"):
 * {@code {"quant_method": "gptq", "bits": 4, "group_size": 128, "desc_act": false, "sym": true, "checkpoint_format": "gptq"}}.
 * Refused, in one line naming config.json and the field: bits other than 4, {@code desc_act} true (activation
 * reordering), a {@code checkpoint_format} other than {@code gptq} (v1, the default when absent) and {@code gptq_v2},
 * a {@code group_size} that is neither positive nor -1. Older AutoGPTQ releases (before transformers read GPTQ) kept
 * the same fields in {@code quantize_config.json} beside a config.json without the block, often without
 * {@code quant_method}; that file is read when config.json has no {@code quantization_config}.
 *
 * @param where            the path of the file that holds the fields (config.json or quantize_config.json), for errors
 * @param groupSize        input columns per group, or -1 for one group per row
 * @param sym              the checkpoint says its zero points are all the middle code (informational: the tensors decide)
 * @param checkpointFormat {@code "gptq"} (stored zero points are {@code zero - 1}) or {@code "gptq_v2"} (the zero itself)
 */
public record GptqConfig(String where, int groupSize, boolean sym, String checkpointFormat) {
    public static final String KEY = "quantization_config";
    public static final String QUANT_METHOD = "gptq";
    /** GPTQ v1 (AutoGPTQ, and what GPTQModel saves by default): stored zero point = zero − 1. */
    public static final String V1 = "gptq";
    /** GPTQModel's internal format: stored zero point = zero. */
    public static final String V2 = "gptq_v2";
    public static final int BITS = 4;
    /** Where AutoGPTQ before 0.5 wrote the fields, as the whole file, not under {@link #KEY}. */
    public static final String LEGACY_FILE = "quantize_config.json";

    /** True when config.json's root declares GPTQ weights ({@code quantization_config.quant_method} is "gptq"). */
    public static boolean declares(JsonNode root) {
        JsonNode q = root == null ? null : root.get(KEY);
        return q != null && q.isObject() && QUANT_METHOD.equals(q.path("quant_method").asText(""));
    }

    /**
     * The block of {@code dir/config.json}; when config.json has no {@code quantization_config}, the fields of
     * {@code dir/quantize_config.json} (older AutoGPTQ folders); empty when neither declares GPTQ weights.
     */
    public static Optional<GptqConfig> read(Path dir) {
        return read(dir, ConfigReader.readJson(dir.resolve("config.json")));
    }

    /** As {@link #read(Path)}, with {@code dir/config.json} already parsed into {@code root} (null when absent). */
    public static Optional<GptqConfig> read(Path dir, JsonNode root) {
        if (root != null && root.has(KEY)) return fromJson(root, dir.resolve("config.json").toString());
        Path legacy = dir.resolve(LEGACY_FILE);
        if (!Files.isRegularFile(legacy)) return Optional.empty();
        JsonNode q = ConfigReader.readJson(legacy);
        if (q == null || !q.isObject()) throw new CheckpointException(legacy + ": is not a JSON object, expected AutoGPTQ's quantization fields");
        JsonNode method = q.get("quant_method");
        if (method != null && !method.isNull() && !QUANT_METHOD.equals(method.asText()))
            throw new CheckpointException(legacy + ": quant_method is " + method + ", expected \"" + QUANT_METHOD
                    + "\" or none (the file AutoGPTQ writes)");
        return Optional.of(parse(q, legacy.toString(), legacy + ": "));
    }

    /** Parses config.json's root; empty unless its quantization_config has quant_method "gptq". */
    public static Optional<GptqConfig> fromJson(JsonNode root, String where) {
        if (!declares(root)) return Optional.empty();
        return Optional.of(parse(root.get(KEY), where, where + ": " + KEY + "."));
    }

    /** The fields of a GPTQ block {@code q}; {@code field} prefixes each field's name in errors. */
    private static GptqConfig parse(JsonNode q, String where, String field) {
        JsonNode bits = q.get("bits");
        if (bits == null || !bits.isIntegralNumber())
            throw new CheckpointException(field + "bits is " + (bits == null ? "missing" : bits.toString()) + ", expected the number "
                    + BITS + " (armor runs 4-bit GPTQ weights)");
        if (bits.asInt() != BITS)
            throw new CheckpointException(field + "bits is " + bits.asInt() + ", expected " + BITS + " (armor runs 4-bit GPTQ weights)");
        JsonNode group = q.get("group_size");
        if (group == null || !group.isIntegralNumber() || !(group.asInt() > 0 || group.asInt() == -1))
            throw new CheckpointException(field + "group_size is " + (group == null ? "missing" : group.toString())
                    + ", expected a positive number of input columns or -1 (one group per row)");
        JsonNode descAct = q.get("desc_act");
        if (descAct != null && !descAct.isNull() && !descAct.isBoolean())
            throw new CheckpointException(field + "desc_act is " + descAct + ", expected true or false");
        if (descAct != null && descAct.asBoolean(false))
            throw new CheckpointException(field + "desc_act is true, expected false: activation reordering (act-order) is not supported");
        JsonNode sym = q.get("sym");
        if (sym != null && !sym.isNull() && !sym.isBoolean())
            throw new CheckpointException(field + "sym is " + sym + ", expected true or false");
        JsonNode fmt = q.get("checkpoint_format");
        String format = fmt == null || fmt.isNull() ? V1 : fmt.isTextual() ? fmt.asText() : fmt.toString();
        if (!V1.equals(format) && !V2.equals(format))
            throw new CheckpointException(field + "checkpoint_format is " + (fmt.isTextual() ? "\"" + format + "\"" : format)
                    + ", expected \"" + V1 + "\" or \"" + V2 + "\" (absent means \"" + V1 + "\")");
        return new GptqConfig(where, group.asInt(), sym == null || sym.isNull() || sym.asBoolean(), format);
    }

    /** What is added to a stored zero point to get the zero: 1 for v1 ({@code zero - 1} stored), 0 for v2. */
    public int zeroOffset() {
        return V1.equals(checkpointFormat) ? 1 : 0;
    }

    /** True when the fields came from {@link #LEGACY_FILE}, not config.json. */
    public boolean legacy() {
        return Path.of(where).getFileName().toString().equals(LEGACY_FILE);
    }

    /** A field's name as errors give it: {@code quantization_config.NAME} in config.json, {@code NAME} in the legacy file. */
    public String field(String name) {
        return legacy() ? name : KEY + "." + name;
    }

    /** The group size for errors and reports: "128" or "-1 (one group per row)". */
    String groupText() {
        return groupSize == -1 ? "-1 (one group per row)" : String.valueOf(groupSize);
    }

    /**
     * For the load line and inspect: e.g. {@code "GPTQ checkpoint, 4-bit weights (group 128, zero points)"}, or
     * {@code "GPTQ checkpoint (gptq_v2), 4-bit weights (one group per row, symmetric)"}.
     */
    public String describe() {
        return "GPTQ checkpoint" + (V2.equals(checkpointFormat) ? " (" + V2 + ")" : "") + ", 4-bit weights ("
                + (groupSize == -1 ? "one group per row" : "group " + groupSize) + ", " + (sym ? "symmetric" : "zero points") + ")";
    }
}
