package armor.runtime.cuda;

import static armor.runtime.cuda.CudaKernel.Arg.FLOAT;
import static armor.runtime.cuda.CudaKernel.Arg.INT;
import static armor.runtime.cuda.CudaKernel.Arg.POINTER;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The CUDA C kernels of {@code gpu/src/main/cuda/armor_kernels.cu}, shipped as PTX in the resource
 * {@link #PTX_RESOURCE}: entry name and the kind of every parameter, in order. Launches are checked against this
 * table ({@link #checkArguments}), and a test checks the table against the PTX's entries, so the Java side and the
 * compiled kernels cannot drift apart silently.
 */
public enum CudaKernel {
    EMBEDDING_BF16("embedding_bf16", POINTER, POINTER, POINTER, INT),
    EMBEDDING_F16("embedding_f16", POINTER, POINTER, POINTER, INT),
    EMBEDDING_F32("embedding_f32", POINTER, POINTER, POINTER, INT),
    RMSNORM_F32("rmsnorm_f32", POINTER, POINTER, POINTER, INT, FLOAT),
    ROPE_F32("rope_f32", POINTER, POINTER, POINTER, INT, INT, INT),
    KV_STORE_F32("kv_store_f32", POINTER, POINTER, POINTER, POINTER, POINTER, POINTER, INT, INT),
    ATTENTION_F32("attention_f32", POINTER, POINTER, POINTER, POINTER, POINTER, POINTER, INT, INT, INT, INT, FLOAT),
    SILU_MUL_F32("silu_mul_f32", POINTER, POINTER, POINTER, INT),
    ADD_F32("add_f32", POINTER, POINTER, INT),
    ADD_BIAS_F32("add_bias_f32", POINTER, POINTER, INT, INT),
    F32_TO_BF16("f32_to_bf16", POINTER, POINTER, INT),
    BF16_TO_F32("bf16_to_f32", POINTER, POINTER, INT),
    QUANTIZE_ROWS_INT8("quantize_rows_int8", POINTER, POINTER, POINTER, INT),
    QUANTIZE_ROWS_E4M3("quantize_rows_e4m3", POINTER, POINTER, POINTER, INT),
    SCALE_ROWS_BF16_TO_F32("scale_rows_bf16_to_f32", POINTER, POINTER, POINTER, INT, INT);

    /** Classpath resource of the PTX (ISA of nvcc 13, target sm_80) built by {@code build-ptx.sh}. */
    public static final String PTX_RESOURCE = "/armor/runtime/cuda/armor_kernels.ptx";

    /** Parameter kinds as the PTX declares them: {@code .u64} pointers, {@code .u32} ints, {@code .f32} floats. */
    public enum Arg { POINTER, INT, FLOAT }

    private final String entry;
    private final List<Arg> args;

    CudaKernel(String entry, Arg... args) {
        this.entry = entry;
        this.args = List.of(args);
    }

    public String entry() {
        return entry;
    }

    public List<Arg> args() {
        return args;
    }

    /**
     * Throws unless {@code values} match the parameters: {@link Arg#POINTER} takes a device address as a
     * {@code Long} (or a {@link DeviceBuffer}), {@link Arg#INT} an {@code Integer}, {@link Arg#FLOAT} a {@code Float}.
     */
    public void checkArguments(Object... values) {
        if (values.length != args.size()) {
            throw new IllegalArgumentException(entry + " takes " + args.size() + " arguments " + args + ", got " + values.length);
        }
        for (int i = 0; i < values.length; i++) {
            Object v = values[i];
            boolean ok = switch (args.get(i)) {
                case POINTER -> v instanceof Long || v instanceof DeviceBuffer;
                case INT -> v instanceof Integer;
                case FLOAT -> v instanceof Float;
            };
            if (!ok) {
                throw new IllegalArgumentException(entry + " argument " + (i + 1) + " must be " + args.get(i) + ", got "
                        + (v == null ? "null" : v.getClass().getSimpleName()));
            }
        }
    }

    /** The PTX text (ASCII, NUL-free; the driver wants it NUL-terminated, which the loader adds). */
    public static String ptx() {
        try (InputStream in = CudaKernel.class.getResourceAsStream(PTX_RESOURCE)) {
            if (in == null) throw new IllegalStateException("resource " + PTX_RESOURCE + " is missing from the build");
            return new String(in.readAllBytes(), StandardCharsets.US_ASCII);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + PTX_RESOURCE, e);
        }
    }
}
