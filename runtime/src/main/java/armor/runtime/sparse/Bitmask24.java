package armor.runtime.sparse;

import armor.runtime.linear.Sparse24Core;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * compressed-tensors' {@code sparse-24-bitmask} positions next to armor's 2:4 metadata. A bitmask has one bit per
 * weight, row by row, packed eight to a byte in little-endian bit order (column {@code c} is bit {@code c % 8} of
 * byte {@code c / 8}), each row padded to whole bytes: {@code [rows, ceil(cols/8)]}. The kept values of a row follow
 * in column order, so with exactly two bits in every group of four they are armor's {@code P.sparse_values} as is.
 */
final class Bitmask24 {
    private Bitmask24() {}

    /** Bytes per bitmask row. */
    static int bitmaskCols(int cols) {
        return (cols + 7) / 8;
    }

    /**
     * armor's metadata ({@code [rows, metaCols(cols)]}, see {@link Sparse24Core}) for a bitmask; every group of four
     * must have exactly two bits set and padding bits must be zero, else the error names {@code name}, the row, the
     * group and what was found.
     */
    static byte[] toMeta(MemorySegment bitmask, int rows, int cols, String name) {
        int bc = bitmaskCols(cols), mc = Sparse24Core.metaCols(cols), groups = cols / 4;
        byte[] meta = new byte[rows * mc];
        for (int r = 0; r < rows; r++) {
            long row = (long) r * bc;
            for (int g = 0; g < groups; g++) {
                int bits = ((bitmask.get(ValueLayout.JAVA_BYTE, row + (g >>> 1)) & 0xff) >>> ((g & 1) * 4)) & 15;
                if (Integer.bitCount(bits) != 2)
                    throw new IllegalArgumentException(name + ": row " + r + ", group " + g + " (columns " + 4 * g + ".."
                            + (4 * g + 3) + ") has " + Integer.bitCount(bits) + " bits set, expected exactly 2 (a 2:4 bitmask)");
                int p0 = Integer.numberOfTrailingZeros(bits), p1 = 31 - Integer.numberOfLeadingZeros(bits);
                meta[r * mc + (g >>> 1)] |= (byte) ((p0 | p1 << 2) << ((g & 1) * 4));
            }
            if (cols % 8 != 0 && (bitmask.get(ValueLayout.JAVA_BYTE, row + bc - 1) & 0xff) >>> (cols % 8) != 0)
                throw new IllegalArgumentException(name + ": row " + r + " has padding bits set after column " + (cols - 1)
                        + ", expected zeros");
        }
        return meta;
    }

    /** The bitmask of armor metadata (valid nibbles, as {@link Sparse24Core} holds them). */
    static byte[] fromMeta(byte[] meta, int rows, int cols) {
        int bc = bitmaskCols(cols), mc = Sparse24Core.metaCols(cols), groups = cols / 4;
        byte[] bitmask = new byte[rows * bc];
        for (int r = 0; r < rows; r++) {
            for (int g = 0; g < groups; g++) {
                int nib = ((meta[r * mc + (g >>> 1)] & 0xff) >>> ((g & 1) * 4)) & 15;
                int bits = 1 << (nib & 3) | 1 << (nib >>> 2);
                bitmask[r * bc + (g >>> 1)] |= (byte) (bits << ((g & 1) * 4));
            }
        }
        return bitmask;
    }
}
