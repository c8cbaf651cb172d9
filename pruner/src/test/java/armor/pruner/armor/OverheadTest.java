package armor.pruner.armor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class OverheadTest {
    private static double percent(int hidden, int inter, int heads, int kv) {
        return 100 * Overhead.fraction(Overhead.decoderLayer(hidden, inter, heads, kv, 128), 128);
    }

    /** The paper's Table 1 overheads for Qwen2.5 7B / 14B / 32B / 72B (shapes from their config.json). */
    @Test
    void reproducesThePapersQwenOverheads() {
        assertEquals(4.95, percent(3584, 18944, 28, 4), 0.005);
        assertEquals(4.17, percent(5120, 13824, 40, 8), 0.005);
        assertEquals(3.44, percent(5120, 27648, 40, 8), 0.005);
        assertEquals(2.40, percent(8192, 29568, 64, 8), 0.005);
    }

    @Test
    void blockRuleOnStories260K() {
        assertEquals(64, BlockRule.blockFor(64, 128));
        assertEquals(32, BlockRule.blockFor(32, 128));
        assertEquals(4, BlockRule.blockFor(172, 128)); // 172 = 4·43
        assertEquals(128, BlockRule.blockFor(4096, 128));
        assertEquals(4, BlockRule.blockFor(172, 4));
        // stories260K: about 90 % extra parameters at b = 128, about 10 % at b = 4
        var layer = Overhead.decoderLayer(64, 172, 8, 4, 8);
        assertEquals(0.904, Overhead.fraction(layer, 128), 0.001);
        assertEquals(0.102, Overhead.fraction(layer, 4), 0.001);
    }

    /**
     * {@code --block auto}: the largest b ≤ 128 within 10 %. Shares worked out by hand from the shapes
     * (extra = Σ d·block(d) over both sides of each projection, dense = Σ d_out·d_in).
     */
    @Test
    void autoBlockKeepsAAndBWithinTenPercent() {
        // Llama-2-7B: 128·(8·4096 + 3·15104) / (4·4096² + 3·4096·11008) = 4.94 %: the paper's b
        BlockRule.Choice llama2 = BlockRule.auto(Overhead.decoderLayer(4096, 11008, 32, 32, 128));
        assertEquals(128, llama2.block());
        assertEquals(0.0494, llama2.share(), 0.0001);
        assertTrue(llama2.withinShare());
        // Llama-3.2-1B: 128·44032 / 60817408 = 9.27 %, still 128
        assertEquals(128, BlockRule.auto(Overhead.decoderLayer(2048, 8192, 32, 8, 64)).block());
        // Qwen2.5-0.5B (896 = 7·128, kv 2·64 = 128, 4864 = 38·128): 19.67 % at 128; at b = 76..124 the blocks are
        // 112 or 64 (896), 64 (128), 76 (4864) = 10.24 % or more; at 64: 64·22912 / 14909440 = 9.84 %
        BlockRule.Choice qwen = BlockRule.auto(Overhead.decoderLayer(896, 4864, 14, 2, 64));
        assertEquals(64, qwen.block());
        assertEquals(64 * 22912 / 14909440.0, qwen.share(), 1e-12);
        assertEquals(java.util.Map.of(896, 64, 128, 64, 4864, 64), qwen.blocks());
        // stories260K: 10.20 % even at b = 4, so the smallest block, said as such
        BlockRule.Choice stories = BlockRule.auto(Overhead.decoderLayer(64, 172, 8, 4, 8));
        assertEquals(4, stories.block());
        assertEquals(4624 / 45312.0, stories.share(), 1e-12);
        assertFalse(stories.withinShare());
        assertEquals(java.util.List.of(64, 32, 172), java.util.List.copyOf(stories.blocks().keySet()));
    }

    /** Brute force over every requested b: nothing larger than the choice fits, and the choice gives the same blocks. */
    @Test
    void autoBlockIsTheLargestThatFits() {
        int[][] shapes = {{4096, 11008, 32, 32, 128}, {2048, 8192, 32, 8, 64}, {896, 4864, 14, 2, 64},
                {1536, 8960, 12, 2, 128}, {3584, 18944, 28, 4, 128}, {64, 172, 8, 4, 8}, {96, 256, 3, 1, 32}};
        for (int[] d : shapes) {
            var layer = Overhead.decoderLayer(d[0], d[1], d[2], d[3], d[4]);
            BlockRule.Choice c = BlockRule.auto(layer);
            assertEquals(0, c.block() % 4);
            for (int b = c.block() + 1; b <= 128; b++) {
                if (Overhead.fraction(layer, b) <= BlockRule.AUTO_SHARE) {
                    // a larger request may only fit by giving the very same blocks
                    for (var s : layer) {
                        assertEquals(BlockRule.blockFor(s.dIn(), c.block()), BlockRule.blockFor(s.dIn(), b));
                        assertEquals(BlockRule.blockFor(s.dOut(), c.block()), BlockRule.blockFor(s.dOut(), b));
                    }
                }
            }
            if (c.withinShare()) assertTrue(c.share() <= BlockRule.AUTO_SHARE, java.util.Arrays.toString(d));
            for (var s : layer) {
                assertEquals(0, s.dIn() % c.blocks().get(s.dIn()));
                assertEquals(0, s.dOut() % c.blocks().get(s.dOut()));
            }
        }
    }
}
