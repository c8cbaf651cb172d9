package armor.cli;

import armor.runtime.config.ModelConfig;
import armor.runtime.model.Model;
import armor.runtime.tensor.DType;
import armor.runtime.tensor.Tensor;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;

/** {@code armor inspect}: architecture, parameter count, dtypes, and every tensor with its shape and size. */
@Command(name = "inspect", mixinStandardHelpOptions = true,
        description = "Print a model's architecture, parameter count, dtype and tensor list.")
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
