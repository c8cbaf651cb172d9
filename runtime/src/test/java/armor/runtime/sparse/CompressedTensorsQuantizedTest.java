package armor.runtime.sparse;

import armor.runtime.kernels.TensorFloats;
import armor.runtime.linear.DenseInt8Linear;
import armor.runtime.linear.Sparse24Linear;
import armor.runtime.model.DecoderLayer;
import armor.runtime.model.Model;
import armor.runtime.quant.Int8Matrix;
import armor.runtime.quant.Int8Quantizer;
import armor.runtime.safetensors.CheckpointWeights;
import armor.runtime.safetensors.SafetensorsWriter;
import armor.runtime.tensor.DType;
import armor.runtime.tensor.Tensor;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/**
 * compressed-tensors' int8 and fp8 variants of the 2:4 formats ({@code int-quantized} / {@code float-quantized}
 * weights, per-channel scales, with {@code sparse-24-bitmask} or dense 2:4 weights), made here from the reference 2:4
 * folders the library wrote: int8 loads as 2:4-int8, fp8 as float32 2:4 (dequantized at load), and each computes the
 * same logits as a float folder holding the dequantized values (code × scale).
 */
class CompressedTensorsQuantizedTest {
    static final int[] PROMPT = {1, 403, 407, 261, 378};

    /**
     * Writes {@code int8} (values quantized per row: {@code P.compressed} or {@code P.weight} as I8 plus
     * {@code P.weight_scale} [rows, 1]) and {@code floats} (the same folder with the dequantized float values).
     */
    static void write(Path src, String valuesSuffix, Path int8, Path floats) throws Exception {
        write(src, valuesSuffix, int8, floats, false);
    }

    /** The nearest e4m3 code to v (brute force over the 254 finite codes), the reference encoder of the fp8 tests. */
    static byte e4m3Code(float v) {
        byte best = 0;
        float err = Float.MAX_VALUE;
        for (int c = 0; c < 256; c++) {
            float f = armor.runtime.quant.Fp8Weights.e4m3((byte) c);
            if (Float.isNaN(f)) continue;
            if (Math.abs(f - v) < err) {
                err = Math.abs(f - v);
                best = (byte) c;
            }
        }
        return best;
    }

    static void write(Path src, String valuesSuffix, Path int8, Path floats, boolean fp8) throws Exception {
        ObjectMapper json = new ObjectMapper();
        for (Path dst : List.of(int8, floats)) {
            Files.createDirectories(dst);
            ObjectNode cfg = (ObjectNode) json.readTree(src.resolve("config.json").toFile());
            if (dst == int8) {
                ObjectNode q = (ObjectNode) cfg.get("quantization_config");
                q.put("format", fp8 ? "float-quantized" : "int-quantized");
                ObjectNode g = q.putObject("config_groups").putObject("group_0");
                g.putArray("targets").add("Linear");
                g.putObject("weights").put("num_bits", 8).put("type", fp8 ? "float" : "int").put("strategy", "channel").put("symmetric", true);
            }
            Files.writeString(dst.resolve("config.json"), json.writeValueAsString(cfg));
            Files.copy(src.resolve("tokenizer.json"), dst.resolve("tokenizer.json"));
        }
        try (CheckpointWeights w = CheckpointWeights.open(src)) {
            List<Tensor> q8 = new ArrayList<>(), f32 = new ArrayList<>();
            for (String n : w.names()) {
                Tensor t = w.tensor(n);
                if (!n.endsWith(valuesSuffix) || !Conversions.PROJECTION.matcher(n.substring(0, n.length() - valuesSuffix.length())).matches()) {
                    q8.add(t);
                    f32.add(t);
                    continue;
                }
                int rows = t.dim(0), cols = t.dim(1);
                String p = n.substring(0, n.length() - valuesSuffix.length());
                if (fp8) {
                    float[] v = TensorFloats.read(t), deq = new float[v.length], scales = new float[rows];
                    byte[] codes = new byte[v.length];
                    for (int r = 0; r < rows; r++) {
                        float max = 0;
                        for (int c = 0; c < cols; c++) max = Math.max(max, Math.abs(v[r * cols + c]));
                        scales[r] = max / 448f; // e4m3's largest finite value
                        for (int c = 0; c < cols; c++) {
                            int i = r * cols + c;
                            codes[i] = scales[r] == 0 ? 0 : e4m3Code(v[i] / scales[r]);
                            deq[i] = armor.runtime.quant.Fp8Weights.e4m3(codes[i]) * scales[r];
                        }
                    }
                    q8.add(new Tensor(n, DType.F8_E4M3, t.shape(), MemorySegment.ofArray(codes)));
                    q8.add(new Tensor(p + ".weight_scale", DType.F32, new long[] {rows, 1}, MemorySegment.ofArray(scales)));
                    f32.add(new Tensor(n, DType.F32, t.shape(), MemorySegment.ofArray(deq)));
                    continue;
                }
                Int8Matrix m = Int8Quantizer.quantize(TensorFloats.read(t), rows, cols, cols);
                q8.add(new Tensor(n, DType.I8, t.shape(), MemorySegment.ofArray(m.values())));
                q8.add(new Tensor(p + ".weight_scale", DType.F32, new long[] {rows, 1}, MemorySegment.ofArray(m.scales())));
                q8.add(new Tensor(p + ".weight_zero_point", DType.I8, new long[] {rows, 1}, MemorySegment.ofArray(new byte[rows])));
                f32.add(new Tensor(n, DType.F32, t.shape(), MemorySegment.ofArray(m.dequantize())));
            }
            SafetensorsWriter.write(int8.resolve("model.safetensors"), q8, Map.of("format", "pt"));
            SafetensorsWriter.write(floats.resolve("model.safetensors"), f32, Map.of("format", "pt"));
        }
    }

    static void assertSameLogitsAsFloats(Path int8, Path floats, String what) {
        assertSameLogitsAsFloats(int8, floats, what, DType.I8);
    }

    static void assertSameLogitsAsFloats(Path quantized, Path floats, String what, DType runsAs) {
        try (Model q = Model.load(quantized, SparseMode.AUTO); Model f = Model.load(floats, SparseMode.AUTO)) {
            int sparse = 0;
            for (int l = 0; l < q.decoder().numLayers(); l++)
                for (String name : DecoderLayer.PROJECTIONS)
                    if (q.decoder().layer(l).linear(name) instanceof Sparse24Linear s && s.format().element().dtype() == runsAs) sparse++;
            assertEquals(35, sparse, what + ": every projection runs as 2:4 with " + runsAs + " values");
            float[] a = q.logits(PROMPT), b = f.logits(PROMPT);
            for (int i = 0; i < a.length; i++) assertEquals(b[i], a[i], 1e-4, what + ": logit " + i);
        }
    }

    @Test
    void bitmaskWithInt8ValuesRunsAs24Int8(@TempDir Path tmp) throws Exception {
        Path int8 = tmp.resolve("int8"), floats = tmp.resolve("floats");
        write(CompressedTensorsTest.BITMASK, ".compressed", int8, floats);
        assertSameLogitsAsFloats(int8, floats, "sparse-24-bitmask int8");
    }

    @Test
    void denseInt8WeightsWhose2of4IsDetectedRunAs24Int8(@TempDir Path tmp) throws Exception {
        Path int8 = tmp.resolve("int8"), floats = tmp.resolve("floats");
        write(CompressedTensorsTest.DENSE, ".weight", int8, floats);
        assertSameLogitsAsFloats(int8, floats, "dense int8 2:4");
        try (Model q = Model.load(int8, SparseMode.OFF)) {
            assertInstanceOf(DenseInt8Linear.class, q.decoder().layer(0).linear(DecoderLayer.DOWN), "--sparse off: dense-int8");
        }
    }

    @Test
    void fp8BitmaskAndDense24RunAsFloat24(@TempDir Path tmp) throws Exception {
        write(CompressedTensorsTest.BITMASK, ".compressed", tmp.resolve("fp8"), tmp.resolve("floats"), true);
        assertSameLogitsAsFloats(tmp.resolve("fp8"), tmp.resolve("floats"), "sparse-24-bitmask fp8", DType.F32);
        write(CompressedTensorsTest.DENSE, ".weight", tmp.resolve("fp8d"), tmp.resolve("floatsd"), true);
        assertSameLogitsAsFloats(tmp.resolve("fp8d"), tmp.resolve("floatsd"), "dense 2:4 fp8", DType.F32);
    }

    /** The e4m3 decoder against the format's definition at its landmarks. */
    @Test
    void e4m3Values() {
        assertEquals(0f, armor.runtime.quant.Fp8Weights.e4m3((byte) 0x00));
        assertEquals(448f, armor.runtime.quant.Fp8Weights.e4m3((byte) 0x7e)); // largest finite
        assertEquals(-448f, armor.runtime.quant.Fp8Weights.e4m3((byte) 0xfe));
        assertEquals(1f, armor.runtime.quant.Fp8Weights.e4m3((byte) 0x38)); // exponent 7 = bias
        assertEquals(0x1p-9f, armor.runtime.quant.Fp8Weights.e4m3((byte) 0x01)); // smallest subnormal: 2^-6 · 1/8
        assertEquals(0x1p-6f, armor.runtime.quant.Fp8Weights.e4m3((byte) 0x08)); // smallest normal
        assertTrue(Float.isNaN(armor.runtime.quant.Fp8Weights.e4m3((byte) 0x7f)));
    }
}
