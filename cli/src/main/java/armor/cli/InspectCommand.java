package armor.cli;

import armor.runtime.config.ModelConfig;
import armor.runtime.linear.Structure;
import armor.runtime.linear.WeightFormat;
import armor.runtime.model.DecoderLayer;
import armor.runtime.model.Model;
import armor.runtime.quant.GptqConfig;
import armor.runtime.quant.GptqTensors;
import armor.runtime.quant.Int4Tensors;
import armor.runtime.quant.Int8Tensors;
import armor.runtime.quant.QuantizationConfig;
import armor.runtime.safetensors.WeightSource;
import armor.runtime.tensor.DType;
import armor.runtime.tensor.Tensor;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;

/** {@code armor inspect}: architecture, parameter count, dtypes, and every tensor with its shape and size. */
@Command(name = "inspect", mixinStandardHelpOptions = true,
        description = "Print a model's architecture, parameter count, dtype, quantization (int8 kinds, group sizes, "
                + "bytes) and tensor list.")
public final class InspectCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, description = "Hugging Face model folder")
    Path model;

    @Option(names = "--no-tensors", description = "omit the tensor list")
    boolean noTensors;

    @Mixin
    SparseOption sparse;

    @Override
    public Integer call() {
        try (Model m = Model.load(model, sparse.mode())) {
            ModelConfig c = m.config();
            long params = 0, bytes = 0;
            Map<DType, Long> byDtype = new TreeMap<>();
            for (String name : m.weights().names()) {
                Tensor t = m.weights().tensor(name);
                params += t.elementCount();
                bytes += t.data().byteSize();
                byDtype.merge(t.dtype(), t.elementCount(), Long::sum);
            }
            System.out.printf("model         %s%n", model);
            System.out.printf("architecture  %s%n", c.architecture().hfName());
            System.out.printf("layers        %d%n", c.numLayers());
            System.out.printf("hidden        %d (intermediate %d)%n", c.hiddenSize(), c.intermediateSize());
            System.out.printf("attention     %d heads, %d kv heads, head_dim %d%n", c.numHeads(), c.numKvHeads(), c.headDim());
            System.out.printf("vocab         %d%n", c.vocabSize());
            System.out.printf("context       %d%n", c.maxPositions());
            System.out.printf("rope          theta %s, scaling %s%s%n", c.ropeTheta(), c.ropeScaling().type(),
                    c.ropeScaling().type().equals("default") ? "" : " (factor " + c.ropeScaling().factor() + ")");
            System.out.printf("embeddings    %s%n", c.tieWordEmbeddings() ? "tied" : "untied (lm_head)");
            System.out.printf("biases        qkv %s, o %s, mlp %s; q/k norm %s%n", c.qkvBias(), c.oBias(), c.mlpBias(), c.qkNorm());
            System.out.printf("eos ids       %s%n", c.eosTokenIds());
            System.out.printf("parameters    %,d (%s)%n", params, human(params, 1000, ""));
            StringBuilder dt = new StringBuilder();
            byDtype.forEach((d, n) -> dt.append(dt.isEmpty() ? "" : ", ").append(d).append(' ').append(String.format("%,d", n)));
            System.out.printf("dtype         %s (config: %s)%n", dt, c.dtype());
            System.out.printf("sparsity      %s%n", m.sparsity().summary());
            System.out.printf("weight bytes  %,d (%s); read per decoded token %,d%n", bytes, human(bytes, 1024, "B"),
                    m.decoder().weightBytesPerToken());
            printQuantization(m.weights(), c);
            if (!noTensors) {
                System.out.printf("tensors       %d%n", m.weights().names().size());
                for (String name : m.weights().names()) {
                    Tensor t = m.weights().tensor(name);
                    System.out.printf("  %-56s %-5s %-18s %s%n", name, t.dtype(), t.shapeString(),
                            human(t.data().byteSize(), 1024, "B"));
                }
            }
        }
        return 0;
    }

    /**
     * The quantized weights (int8 or int4), when there are any: config.json's quantization_config, then per projection kind
     * (dense-int8, 2:4-int8, armor-int8, or the float kinds) the count, the group sizes (from the scale tensors'
     * shapes, as the loader derives them) and the bytes of all their tensors; then the embedding and head.
     */
    private void printQuantization(WeightSource w, ModelConfig c) {
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(model.resolve("config.json").toFile());
        } catch (IOException e) {
            throw new UncheckedIOException(model.resolve("config.json") + ": " + e.getMessage(), e);
        }
        GptqConfig gptq = GptqConfig.read(model, root).orElse(null);
        boolean fourBit = QuantizationConfig.bits(root) == 4;
        if (gptq == null && !fourBit && !Int8Tensors.anyInt8(w)) return;
        if (gptq != null) { // AutoGPTQ / GPTQModel: runs as dense-int4
            System.out.printf("quantization  int4 GPTQ, %s, group size %s, %s scales, checkpoint_format %s (stored zero points are %s), "
                            + "desc_act false (%s)%n", gptq.sym() ? "symmetric" : "with zero points",
                    gptq.groupSize() == -1 ? "row (-1)" : String.valueOf(gptq.groupSize()), gptqScaleDtype(w, c),
                    gptq.checkpointFormat(), gptq.zeroOffset() == 1 ? "zero - 1" : "the zeros",
                    gptq.legacy() ? "from " + GptqConfig.LEGACY_FILE : "quant_method " + GptqConfig.QUANT_METHOD);
        } else if (fourBit) { // compressed-tensors pack-quantized, as armor quantize --bits 4 writes it (armor's block when it does)
            JsonNode q = root.get(QuantizationConfig.KEY), wq = q.path("config_groups").path("group_0").path("weights");
            System.out.printf("quantization  int4 %s, float32 scales, strategy %s, group size %s, method %s (%s %s)%n",
                    wq.path("symmetric").asBoolean(true) ? "symmetric" : "with zero points", wq.path("strategy").asText("?"),
                    wq.path("group_size").isNull() ? "row" : wq.path("group_size").asText("?"), q.path("armor").path("method").asText("unknown"),
                    q.path("quant_method").asText(), q.path("format").asText());
        } else if (QuantizationConfig.isQuantized(root)) {
            QuantizationConfig q = QuantizationConfig.fromJson(root.get(QuantizationConfig.KEY), model.resolve("config.json").toString());
            System.out.printf("quantization  int%d symmetric, float32 scales, strategy %s, group size %d, embeddings %s (%s %s)%n",
                    q.bits(), q.strategy(), q.groupSize(), q.embeddings() ? "int8" : "kept", QuantizationConfig.QUANT_METHOD,
                    QuantizationConfig.FORMAT);
        } else {
            System.out.println("quantization  int8 tensors, no quantization_config in config.json");
        }
        record Kind(boolean scaled, int[] count, long[] bytes, Map<String, Integer> groups) {}
        Map<String, Kind> kinds = new TreeMap<>();
        for (int l = 0; l < c.numLayers(); l++) {
            for (String p : DecoderLayer.PROJECTIONS) {
                String prefix = "model.layers." + l + "." + p;
                WeightFormat format = WeightFormat.recognise(w, prefix);
                if (format == null) continue;
                boolean sparse = format.structure() != Structure.DENSE, scaled = format.element().scaled();
                String main = prefix + format.structure().mainSuffix();
                Kind k = kinds.computeIfAbsent(format.kind(), x -> new Kind(scaled, new int[1], new long[1], new TreeMap<>()));
                k.count()[0]++;
                for (String suffix : format.structure().suffixes()) {
                    String n0 = prefix + suffix;
                    for (String n : new String[] {n0, Int8Tensors.scaleName(n0), n0 + Int4Tensors.PACKED, n0 + Int4Tensors.ZERO_POINT})
                        if (w.has(n)) k.bytes()[0] += w.tensor(n).data().byteSize();
                }
                boolean isGptq = GptqTensors.isGptq(w, prefix);
                if (isGptq)
                    for (String suffix : GptqTensors.SUFFIXES) if (w.has(prefix + suffix)) k.bytes()[0] += w.tensor(prefix + suffix).data().byteSize();
                k.groups().merge(isGptq ? gptqGroup(w, prefix) : scaled ? group(w, main, sparse) : w.tensor(main).dtype().toString(), 1, Integer::sum);
            }
        }
        kinds.forEach((kind, k) -> {
            StringBuilder g = new StringBuilder();
            k.groups().forEach((desc, n) -> g.append(g.isEmpty() ? "" : ", ").append(desc).append(" ×").append(n));
            System.out.printf("  %-11s %3d linears, %-40s %s%n", kind, k.count()[0],
                    (k.scaled() ? "groups " : "") + g, human(k.bytes()[0], 1024, "B"));
        });
        for (String name : new String[] {"model.embed_tokens.weight", "lm_head.weight"}) {
            String label = name.startsWith("lm_head") ? "lm_head" : "embedding";
            if (!w.has(name)) {
                if (label.equals("lm_head")) System.out.printf("  %-11s tied to the embedding%n", label);
                continue;
            }
            Tensor t = w.tensor(name);
            boolean int8 = t.dtype() == DType.I8;
            long b = t.data().byteSize() + (w.has(Int8Tensors.scaleName(name)) ? w.tensor(Int8Tensors.scaleName(name)).data().byteSize() : 0);
            System.out.printf("  %-11s %s%s, %s%n", label, t.dtype(), int8 ? ", group " + group(w, name, false) : "", human(b, 1024, "B"));
        }
    }

    /** "128" or "row (64)": the group of GPTQ projection {@code prefix}, from its qweight's and scales' shapes. */
    private static String gptqGroup(WeightSource w, String prefix) {
        if (!w.has(prefix + GptqTensors.SCALES)) return "no scales";
        Tensor q = w.tensor(prefix + GptqTensors.QWEIGHT), s = w.tensor(prefix + GptqTensors.SCALES);
        long cols = (long) q.dim(0) * GptqTensors.PER_WORD, groups = s.dim(0);
        if (groups == 0 || cols % groups != 0) return "bad scales " + s.shapeString();
        return groups == 1 ? "row (" + cols + ")" : String.valueOf(cols / groups);
    }

    /** The dtype of the first GPTQ projection's scales (F16 as AutoGPTQ writes them), for the quantization line. */
    private static String gptqScaleDtype(WeightSource w, ModelConfig c) {
        for (int l = 0; l < c.numLayers(); l++)
            for (String p : DecoderLayer.PROJECTIONS) {
                String scales = "model.layers." + l + "." + p + GptqTensors.SCALES;
                if (w.has(scales)) return w.tensor(scales).dtype().toString();
            }
        return "no";
    }

    /** "128" or "row (64)": the group of int8 tensor {@code name}, from its scales' shape (dense columns for 2:4 values). */
    private static String group(WeightSource w, String name, boolean sparseValues) {
        String sn = Int8Tensors.scaleName(name);
        if (!w.has(sn)) return "no scales";
        Tensor s = w.tensor(sn);
        // int4: the packed tensor's columns are words; its P_shape tensor holds the unpacked shape
        long valueCols = w.has(name) ? w.tensor(name).dim(w.tensor(name).rank() - 1)
                : Int4Tensors.shapeValues(w.origin(), w.tensor(name + Int4Tensors.SHAPE))[1];
        long cols = valueCols * (sparseValues ? 2 : 1), scaleCols = s.dim(s.rank() - 1);
        if (scaleCols == 0 || cols % scaleCols != 0) return "bad scales " + s.shapeString();
        long g = cols / scaleCols;
        return g == cols ? "row (" + g + ")" : String.valueOf(g);
    }

    static String human(long v, int base, String unit) {
        String[] prefixes = base == 1024 ? new String[]{"", "Ki", "Mi", "Gi", "Ti"} : new String[]{"", "K", "M", "B", "T"};
        double x = v;
        int i = 0;
        while (x >= base && i < prefixes.length - 1) {
            x /= base;
            i++;
        }
        return i == 0 ? v + (unit.isEmpty() ? "" : " " + unit) : String.format("%.2f %s%s", x, prefixes[i], unit);
    }
}
