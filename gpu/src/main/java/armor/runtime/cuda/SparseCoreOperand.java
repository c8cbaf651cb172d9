package armor.runtime.cuda;

import armor.runtime.tensor.DType;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * The checkpoint's packed 2:4 core ({@code P.sparse_values}: rows × cols/2 kept values; {@code P.sparse_meta}: a
 * nibble {@code p0 | p1 << 2} per group of four) expanded to what {@code cusparseLtSpMMACompress} takes: the dense
 * rows × cols matrix, row-major, 16-bit values bit for bit as stored, zeros at the pruned positions. Done once per
 * layer at load, on the host; the dense copy is uploaded, compressed on the device, and dropped.
 *
 * <p>Pruned positions are written as +0 (all bits clear): a −0 in a pruned slot has made cuSPARSELt-style compressors
 * count it as a kept value (vLLM issue 13198).
 */
public final class SparseCoreOperand {
    private static final ValueLayout.OfShort LE_SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private SparseCoreOperand() {}

    /**
     * @param values {@code rows × cols/2} 16-bit values (bf16 or f16), little-endian
     * @param meta   {@code rows × ceil(cols/8)} bytes, low nibble first
     * @param name   the layer, for error messages
     */
    public static short[] expand(MemorySegment values, MemorySegment meta, int rows, int cols, DType dtype, String name) {
        if (dtype != DType.BF16 && dtype != DType.F16) {
            throw new IllegalArgumentException(name + ": cuSPARSELt 2:4 needs bf16 or f16 values, found " + dtype);
        }
        if (cols % 4 != 0) throw new IllegalArgumentException(name + ": " + cols + " input columns is not a multiple of 4");
        int groups = cols / 4, metaCols = (groups + 1) / 2;
        if (values.byteSize() != 2L * rows * cols / 2) {
            throw new IllegalArgumentException(name + ".sparse_values has " + values.byteSize() + " bytes, expected "
                    + (2L * rows * cols / 2) + " (" + rows + " × " + cols / 2 + " × 2)");
        }
        if (meta.byteSize() != (long) rows * metaCols) {
            throw new IllegalArgumentException(name + ".sparse_meta has " + meta.byteSize() + " bytes, expected "
                    + ((long) rows * metaCols) + " (" + rows + " × " + metaCols + ")");
        }
        short[] dense = new short[Math.multiplyExact(rows, cols)];
        for (int r = 0; r < rows; r++) {
            for (int g = 0; g < groups; g++) {
                int b = meta.get(ValueLayout.JAVA_BYTE, (long) r * metaCols + (g >>> 1)) & 0xff;
                int nibble = (g & 1) == 0 ? b & 15 : b >>> 4;
                int p0 = nibble & 3, p1 = nibble >>> 2;
                if (p0 >= p1) {
                    throw new IllegalArgumentException(name + ".sparse_meta: row " + r + ", group " + g + " has nibble "
                            + nibble + ", expected two kept positions p0 < p1");
                }
                long v = (long) r * (cols / 2) + 2L * g;
                int base = r * cols + 4 * g;
                dense[base + p0] = values.getAtIndex(LE_SHORT, v);
                dense[base + p1] = values.getAtIndex(LE_SHORT, v + 1);
            }
        }
        return dense;
    }
}
