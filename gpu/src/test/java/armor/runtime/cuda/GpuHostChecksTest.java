package armor.runtime.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import armor.runtime.cuda.SparseCoreMatmul.Operands;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/** The checks the GPU path makes on the host before it calls cuSPARSELt or cuBLAS: one line naming what is wrong. */
class GpuHostChecksTest {
    private static String error(Executable e) {
        String m = assertThrows(IllegalArgumentException.class, e).getMessage();
        assertFalse(m.contains("\n"), m);
        return m;
    }

    @Test
    void coreShapesCuSparseLtDoesNotTakeAreRefusedOnTheHost() {
        SparseCoreMatmul.checkShape(Operands.BF16, 4096, 11008);
        SparseCoreMatmul.checkShape(Operands.BF16, 32, 128); // tiny-llama3's k/v projection
        SparseCoreMatmul.checkShape(Operands.INT8, 2048, 8192);
        // stories260K's gate projection: 172 rows
        assertEquals("2:4 core 172×64 (bf16): cuSPARSELt needs rows and columns that are multiples of 16 for bf16 operands",
                error(() -> SparseCoreMatmul.checkShape(Operands.BF16, 172, 64)));
        assertTrue(error(() -> SparseCoreMatmul.checkShape(Operands.INT8, 48, 64)).contains("multiples of 32 for int8"));
        assertTrue(error(() -> SparseCoreMatmul.checkShape(Operands.E4M3, 64, 80)).contains("multiples of 32 for e4m3"));
    }

    @Test
    void activationBuffersAreSizedAndAligned() {
        // bf16 core 64×128, 3 tokens: bucket 8; x needs 2·8·128 bytes, y 2·8·64
        int bucket = SparseCoreMatmul.rowsFor(Operands.BF16, 3);
        assertEquals(8, bucket);
        SparseCoreMatmul.checkActivations(Operands.BF16, 64, 128, 256, 2048, 512, 1024, bucket);
        assertTrue(error(() -> SparseCoreMatmul.checkActivations(Operands.BF16, 64, 128, 256, 2047, 512, 1024, bucket))
                .contains("expected at least 2048 and 1024 (8 rows)"));
        assertTrue(error(() -> SparseCoreMatmul.checkActivations(Operands.BF16, 64, 128, 264, 2048, 512, 1024, bucket))
                .contains("must be 16-byte aligned"));
        // 8-bit activations: at least 16 rows (cuSPARSELt's multiple for 8-bit dense operands), one byte each
        assertEquals(16, SparseCoreMatmul.rowsFor(Operands.INT8, 1));
        assertEquals(64, SparseCoreMatmul.rowsFor(Operands.INT8, 33));
        SparseCoreMatmul.checkActivations(Operands.INT8, 64, 128, 0, 16 * 128, 4096, 2 * 16 * 64, 16);
    }

    @Test
    void eightBitCoresNeedPerRowScalesAndTheHardware() {
        float[] scales = new float[64];
        java.util.Arrays.fill(scales, 0.01f);
        SparseCoreMatmul.check8Bit(Operands.INT8, 64 * 128, scales, 64, 128, 80);
        SparseCoreMatmul.check8Bit(Operands.E4M3, 64 * 128, scales, 64, 128, 90);
        assertEquals("2:4 e4m3 needs a GPU of compute capability 8.9 or newer; this one is 8.0",
                error(() -> SparseCoreMatmul.check8Bit(Operands.E4M3, 64 * 128, scales, 64, 128, 80)));
        // a checkpoint with several scale groups per row must be requantized per row for the GPU
        assertTrue(error(() -> SparseCoreMatmul.check8Bit(Operands.INT8, 64 * 128, new float[128], 64, 128, 80))
                .contains("128 row scales, expected one per output row (64)"));
        float[] zero = scales.clone();
        zero[5] = 0;
        assertTrue(error(() -> SparseCoreMatmul.check8Bit(Operands.INT8, 64 * 128, zero, 64, 128, 80))
                .contains("row 5 has scale 0.0"));
        assertTrue(error(() -> SparseCoreMatmul.check8Bit(Operands.INT8, 100, scales, 64, 128, 80))
                .contains("100 values for 64×128"));
        assertTrue(error(() -> SparseCoreMatmul.check8Bit(Operands.BF16, 64 * 128, scales, 64, 128, 80))
                .contains("INT8 or E4M3"));
    }

    @Test
    void armorBlocksOfTheirOwnSizeMustDivideTheirDimension() {
        CudaLinear.Armor.checkBlocks(172, 64, 172 * 4, 4, 64 * 64, 64); // stories260K's gate: A 4, B 64
        assertEquals("ARMOR A block size 8 does not divide the 172 outputs",
                error(() -> CudaLinear.Armor.checkBlocks(172, 64, 172 * 8, 8, 64 * 64, 64)));
        assertEquals("ARMOR B block size 48 does not divide the 64 inputs",
                error(() -> CudaLinear.Armor.checkBlocks(172, 64, 172 * 4, 4, 64 * 48, 48)));
        assertEquals("ARMOR B has 100 values, expected 4096 (1 blocks of 64×64)",
                error(() -> CudaLinear.Armor.checkBlocks(172, 64, 172 * 4, 4, 100, 64)));
    }

    @Test
    void layerScratchHoldsTheRowsEveryCoreKindChecksFor() {
        int rows = 64, cols = 128;
        for (SparseCoreMatmul.Operands o : SparseCoreMatmul.Operands.values()) {
            for (int tokens = 1; tokens <= 70; tokens++) {
                int coreRows = SparseCoreMatmul.rowsFor(o, tokens);
                long x = (long) 2 * coreRows * cols; // bf16 or wider: holds any operand kind's x
                // 2:4: the core's output is the whole scratch
                SparseCoreMatmul.checkActivations(o, rows, cols, 0, x, 0, CudaLinear.TwoFour.scratchBytes(o, rows, tokens), coreRows);
                // ARMOR: the core's output follows B x in the scratch
                long both = CudaLinear.Armor.scratchBytes(o, rows, cols, tokens);
                SparseCoreMatmul.checkActivations(o, rows, cols, 0, x, 0, both - 2L * coreRows * cols, coreRows);
            }
        }
        // the case that used to throw: an 8-bit core with 8 tokens needs 16 rows, not the bucket's 8
        assertEquals(2L * 16 * 64, CudaLinear.TwoFour.scratchBytes(SparseCoreMatmul.Operands.INT8, 64, 8));
    }
}
