package armor.pruner.armor;

import static org.junit.jupiter.api.Assertions.assertEquals;

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
}
