package armor.runtime.sparse;

import armor.runtime.safetensors.CheckpointException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The {@code sparsity_config} block of a pruned checkpoint's {@code config.json} (docs/checkpoint-format.md).
 *
 * @param format       {@code "2:4"} or {@code "armor-2:4"}
 * @param method       e.g. {@code "magnitude"}, {@code "wanda"}, {@code "sparsegpt"}, {@code "nowag-p"}, {@code "armor"}
 * @param blockSize    ARMOR block size b, or null for plain 2:4
 * @param calibration  calibration data, or null for data-free methods
 * @param iterations   ARMOR iterations run (the configured maximum), or null
 * @param proxyLoss    per pruned linear (prefix such as {@code model.layers.3.mlp.down_proj}) the relative proxy loss
 *                     before and after; may be empty
 * @param armorVersion version of armor that wrote the checkpoint
 */
public record SparsityConfig(String format, String method, Integer blockSize, Calibration calibration,
                             Integer iterations, Map<String, ProxyLoss> proxyLoss, String armorVersion) {
    public static final String KEY = "sparsity_config";
    public static final String FORMAT_24 = "2:4";
    public static final String FORMAT_ARMOR = "armor-2:4";
    public static final String VERSION = "0.1.0";
    /** Version of the tensor layout below; bumped on any incompatible change. */
    public static final int LAYOUT_VERSION = 1;

    public record Calibration(String dataset, int samples, int sequenceLength) {}

    public record ProxyLoss(double before, double after) {}

    public SparsityConfig {
        if (!FORMAT_24.equals(format) && !FORMAT_ARMOR.equals(format))
            throw new IllegalArgumentException("sparsity format \"" + format + "\", expected \"2:4\" or \"armor-2:4\"");
        if (FORMAT_ARMOR.equals(format) && (blockSize == null || blockSize <= 0 || blockSize % 4 != 0))
            throw new IllegalArgumentException("armor-2:4 needs a positive block size that is a multiple of 4, got " + blockSize);
        proxyLoss = proxyLoss == null ? Map.of() : Map.copyOf(proxyLoss);
    }

    /** The config of a data-free magnitude 2:4 conversion. */
    public static SparsityConfig magnitude24() {
        return new SparsityConfig(FORMAT_24, "magnitude", null, null, null, Map.of(), VERSION);
    }

    public ObjectNode toJson() {
        ObjectNode o = new ObjectMapper().createObjectNode();
        o.put("format", format);
        o.put("method", method);
        o.put("layout_version", LAYOUT_VERSION);
        o.put("sparse_values", "P.sparse_values: (d_out, d_in/2) model dtype, the two kept values of each group of 4 columns, lower position first");
        o.put("sparse_meta", "P.sparse_meta: uint8 (d_out, ceil(d_in/8)), group g in byte g/2, low nibble for even g; nibble = p0 | p1<<2, p0 < p1");
        if (blockSize != null) o.put("block_size", blockSize);
        if (calibration != null) {
            ObjectNode c = o.putObject("calibration");
            c.put("dataset", calibration.dataset());
            c.put("samples", calibration.samples());
            c.put("sequence_length", calibration.sequenceLength());
        }
        if (iterations != null) o.put("iterations", iterations);
        if (!proxyLoss.isEmpty()) {
            ObjectNode layers = o.putObject("proxy_loss");
            double before = 0, after = 0;
            for (var e : new java.util.TreeMap<>(proxyLoss).entrySet()) {
                ObjectNode l = layers.putObject(e.getKey());
                l.put("before", e.getValue().before());
                l.put("after", e.getValue().after());
                before += e.getValue().before();
                after += e.getValue().after();
            }
            ObjectNode s = o.putObject("proxy_loss_summary");
            s.put("layers", proxyLoss.size());
            s.put("mean_before", before / proxyLoss.size());
            s.put("mean_after", after / proxyLoss.size());
        }
        o.put("armor_version", armorVersion);
        return o;
    }

    /** Parses the block; {@code where} names the file in errors. */
    public static SparsityConfig fromJson(JsonNode o, String where) {
        if (o == null || !o.isObject()) throw new CheckpointException(where + ": " + KEY + " is not a JSON object");
        String format = text(o, "format", where, true);
        if (!FORMAT_24.equals(format) && !FORMAT_ARMOR.equals(format))
            throw new CheckpointException(where + ": " + KEY + ".format is \"" + format + "\", expected \"2:4\" or \"armor-2:4\"");
        if (o.has("layout_version") && o.get("layout_version").asInt() != LAYOUT_VERSION)
            throw new CheckpointException(where + ": " + KEY + ".layout_version is " + o.get("layout_version") + ", expected " + LAYOUT_VERSION);
        Integer block = o.hasNonNull("block_size") ? o.get("block_size").asInt() : null;
        if (FORMAT_ARMOR.equals(format) && (block == null || block <= 0 || block % 4 != 0))
            throw new CheckpointException(where + ": " + KEY + ".block_size is " + o.get("block_size") + ", expected a positive multiple of 4 for armor-2:4");
        Calibration cal = null;
        if (o.hasNonNull("calibration")) {
            JsonNode c = o.get("calibration");
            cal = new Calibration(c.path("dataset").asText(null), c.path("samples").asInt(0), c.path("sequence_length").asInt(0));
        }
        Map<String, ProxyLoss> losses = new LinkedHashMap<>();
        if (o.hasNonNull("proxy_loss")) {
            for (var it = o.get("proxy_loss").fields(); it.hasNext(); ) {
                var e = it.next();
                losses.put(e.getKey(), new ProxyLoss(e.getValue().path("before").asDouble(Double.NaN), e.getValue().path("after").asDouble(Double.NaN)));
            }
        }
        return new SparsityConfig(format, text(o, "method", where, false), block, cal,
                o.hasNonNull("iterations") ? o.get("iterations").asInt() : null, losses, text(o, "armor_version", where, false));
    }

    private static String text(JsonNode o, String field, String where, boolean required) {
        JsonNode v = o.get(field);
        if (v == null || v.isNull()) {
            if (required) throw new CheckpointException(where + ": missing field " + KEY + "." + field);
            return null;
        }
        return v.asText();
    }
}
