package armor.bench.jmh;

import armor.runtime.kernels.DenseInt8MatMul;
import armor.runtime.quant.Int8Matrix;
import armor.runtime.quant.Int8Quantizer;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * The decision behind the int8 kernels: keep activations float32 and widen the int8 weights in registers
 * ({@link DenseInt8MatMul#matVec}), or quantize each token's activations to int8 and take integer dot products, as
 * llama.cpp's Q8_0 does with VNNI. The Vector API has no int8 dot-product operation, so the integer form here widens
 * both operands to 16 bits, multiplies (|127·127| fits a short), adds two products in 16 bits and widens the sum to
 * 32 bits. Single thread, a 256 × 4096 matrix (1 MiB: from L2, so the kernels' instruction cost is what differs),
 * per-row scales. Run on both machine kinds (AVX2: add {@code -jvmArgsAppend -XX:UseAVX=2} to emulate on AVX-512):
 * {@code mvn -B -Pjmh -pl bench -am package -DskipTests -Djmh.args="Int8ActivationsBench -f 1 -wi 3 -i 5"}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
public class Int8ActivationsBench {
    static final int ROWS = 256, COLS = 4096;
    static final VectorSpecies<Byte> B = IntVector.SPECIES_PREFERRED.length() >= 16 ? ByteVector.SPECIES_256 : ByteVector.SPECIES_128;
    static final VectorSpecies<Short> S = B.length() == 32 ? ShortVector.SPECIES_512 : ShortVector.SPECIES_256;
    static final VectorSpecies<Integer> I = B.length() == 32 ? IntVector.SPECIES_512 : IntVector.SPECIES_256;

    Int8Matrix w;
    float[] x, y;
    byte[] xq;
    float xScale;

    @Setup(Level.Trial)
    public void setup() {
        Random rnd = new Random(1);
        float[] dense = new float[ROWS * COLS];
        for (int i = 0; i < dense.length; i++) dense[i] = (float) rnd.nextGaussian();
        w = Int8Quantizer.quantize(dense, ROWS, COLS, COLS);
        x = new float[COLS];
        for (int i = 0; i < COLS; i++) x[i] = (float) rnd.nextGaussian();
        y = new float[ROWS];
        xq = new byte[COLS];
    }

    /** The shipped kernel: float32 activations, int8 weights widened to floats in registers. */
    @Benchmark
    public float[] floatActivations() {
        DenseInt8MatMul.matVec(w.values(), w.scales(), COLS, COLS, x, 0, y, 0, 0, ROWS);
        return y;
    }

    /** Per-token int8 activations (quantization included) and 16/32-bit integer dot products. */
    @Benchmark
    public float[] int8Activations() {
        float max = 0;
        for (float v : x) max = Math.max(max, Math.abs(v));
        xScale = max / 127f;
        float inv = xScale == 0 ? 0 : 1 / xScale;
        for (int i = 0; i < COLS; i++) xq[i] = (byte) Math.round(x[i] * inv);
        byte[] q = w.values();
        int step = 2 * B.length();
        for (int r = 0; r < ROWS; r++) {
            IntVector acc = IntVector.zero(I);
            int base = r * COLS;
            for (int k = 0; k < COLS; k += step) {
                ShortVector p0 = ((ShortVector) ByteVector.fromArray(B, q, base + k).convertShape(VectorOperators.B2S, S, 0))
                        .mul((ShortVector) ByteVector.fromArray(B, xq, k).convertShape(VectorOperators.B2S, S, 0));
                ShortVector p1 = ((ShortVector) ByteVector.fromArray(B, q, base + k + B.length()).convertShape(VectorOperators.B2S, S, 0))
                        .mul((ShortVector) ByteVector.fromArray(B, xq, k + B.length()).convertShape(VectorOperators.B2S, S, 0));
                ShortVector sum = p0.add(p1); // |2·127·127| < 32768
                acc = acc.add((IntVector) sum.convertShape(VectorOperators.S2I, I, 0))
                        .add((IntVector) sum.convertShape(VectorOperators.S2I, I, 1));
            }
            y[r] = acc.reduceLanes(VectorOperators.ADD) * w.scales()[r] * xScale;
        }
        return y;
    }
}
