package armor.pruner.run;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

class ShardPartitionTest {
    @Test
    void largestFirstToTheLeastLoadedShard() {
        // by hand: 9 → 0; 7 → 1; 5 → 1 (7 < 9); 5 → 0 (9 < 12); 4 → 1 (12 < 14); 1 → 0 (14 < 16)
        long[] costs = {5, 9, 1, 7, 4, 5};
        assertArrayEquals(new int[] {1, 0, 0, 1, 1, 0}, ShardPartition.assign(costs, 2));
        // equal costs keep model order: round robin
        assertArrayEquals(new int[] {0, 1, 2, 0, 1, 2, 0}, ShardPartition.assign(new long[] {3, 3, 3, 3, 3, 3, 3}, 3));
    }

    @Test
    void makespanWithinFourThirdsOfTheBruteForceOptimum() {
        Random r = new Random(11);
        for (int trial = 0; trial < 200; trial++) {
            int items = 1 + r.nextInt(9), bins = 1 + r.nextInt(4);
            double[] c = new double[items];
            for (int i = 0; i < items; i++) c[i] = 1 + r.nextInt(100);
            double best = Double.MAX_VALUE;
            int combos = (int) Math.pow(bins, items);
            for (int code = 0; code < combos; code++) {
                double[] load = new double[bins];
                for (int i = 0, k = code; i < items; i++, k /= bins) load[k % bins] += c[i];
                best = Math.min(best, java.util.Arrays.stream(load).max().orElseThrow());
            }
            double got = ShardPartition.makespan(c, bins);
            assertTrue(got >= best - 1e-9 && got <= best * 4 / 3 + 1e-9, "trial " + trial + ": " + got + " vs " + best);
        }
    }

    @Test
    void everyItemHasOneShardAndTheSplitIsStable() {
        long[] costs = new long[35];
        for (int i = 0; i < costs.length; i++) costs[i] = (i % 7 < 4 ? 4096 : 11008) * 4096L;
        int[] a = ShardPartition.assign(costs, 4), b = ShardPartition.assign(costs.clone(), 4);
        assertArrayEquals(a, b);
        int[] count = new int[4];
        for (int s : a) count[s]++;
        for (int s = 0; s < 4; s++) assertTrue(count[s] >= 8, "shard " + s + " has " + count[s]);
        assertEquals(35, count[0] + count[1] + count[2] + count[3]);
    }
}
