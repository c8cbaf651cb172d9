package armor.runtime.linear;

import armor.runtime.safetensors.CheckpointException;
import armor.runtime.safetensors.WeightSource;
import armor.runtime.tensor.DType;
import armor.runtime.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.*;

class SparseLinearLoaderTest {
    static final String P = "model.layers.0.mlp.up_proj";

    /** In-memory tensors with zeroed data of the given shapes (the loader validates shapes before values). */
    static final class Tensors implements WeightSource {
        final Map<String, Tensor> map = new LinkedHashMap<>();

        Tensors put(String name, DType dt, long... shape) {
            long n = 1;
            for (long d : shape) n *= d;
            map.put(name, new Tensor(name, dt, shape, Arena.ofAuto().allocate(n * dt.bytes())));
            return this;
        }

        Tensors remove(String name) {
            map.remove(name);
            return this;
        }

        public boolean has(String name) { return map.containsKey(name); }

        public Tensor tensor(String name) {
            Tensor t = map.get(name);
            if (t == null) throw new CheckpointException("test: missing tensor " + name);
            return t;
        }

        public Set<String> names() { return map.keySet(); }

        public String origin() { return "test"; }
    }

    /** A valid ARMOR linear 16 → 24 with b = 8, metadata all (0,1). */
    static Tensors armor() {
        Tensors t = new Tensors().put(P + ".sparse_values", DType.BF16, 24, 8).put(P + ".sparse_meta", DType.U8, 24, 2)
                .put(P + ".armor_a", DType.BF16, 3, 8, 8).put(P + ".armor_b", DType.BF16, 2, 8, 8);
        MemorySegment meta = t.tensor(P + ".sparse_meta").data();
        meta.fill((byte) 0x44);
        return t;
    }

    static String error(Tensors t) {
        return assertThrows(CheckpointException.class, () -> LinearLoader.load(t, P, 16, 24)).getMessage();
    }

    @Test
    void loadsEachKind() {
        assertEquals("armor", LinearLoader.load(armor(), P, 16, 24).kind());
        assertEquals("2:4", LinearLoader.load(armor().remove(P + ".armor_a").remove(P + ".armor_b"), P, 16, 24).kind());
        // A' and B' may have different block sizes, each dividing its own dimension (the pruner's block rule)
        assertEquals("armor", LinearLoader.load(armor().put(P + ".armor_a", DType.BF16, 2, 12, 12), P, 16, 24).kind());
    }

    @Test
    void namesTheOffendingTensor() {
        assertTrue(error(armor().remove(P + ".sparse_meta")).contains("missing tensor " + P + ".sparse_meta"));
        assertTrue(error(armor().remove(P + ".sparse_values")).contains("missing tensor " + P + ".sparse_values"));
        assertTrue(error(armor().remove(P + ".armor_b")).contains("missing tensor " + P + ".armor_b"));
        assertTrue(error(armor().put(P + ".armor_a", DType.BF16, 3, 8, 4)).contains(P + ".armor_a has shape [3, 8, 4]"));
        assertTrue(error(armor().put(P + ".armor_a", DType.BF16, 2, 10, 10)).contains(P + ".armor_a has block size 10"));
        assertTrue(error(armor().put(P + ".armor_b", DType.BF16, 3, 8, 8)).contains(P + ".armor_b has shape [3, 8, 8], expected [2, 8, 8]"));
        assertTrue(error(armor().put(P + ".armor_b", DType.F32, 2, 8, 8)).contains(P + ".armor_b has dtype F32"));
        assertTrue(error(armor().put(P + ".sparse_values", DType.BF16, 24, 16)).contains(P + ".sparse_values has shape [24, 16], expected [24, 8]"));
        assertTrue(error(armor().put(P + ".sparse_meta", DType.I8, 24, 2)).contains(P + ".sparse_meta has dtype I8"));
        assertTrue(error(armor().put(P + ".weight", DType.BF16, 24, 16)).contains("both " + P + ".weight and"));
        Tensors bad = armor();
        bad.tensor(P + ".sparse_meta").data().set(java.lang.foreign.ValueLayout.JAVA_BYTE, 2 * 5 + 1, (byte) 0x40); // row 5, group 2: (0,0)
        String msg = error(bad);
        assertTrue(msg.contains(P + ".sparse_meta") && msg.contains("row 5, group 2"), msg);
    }
}
