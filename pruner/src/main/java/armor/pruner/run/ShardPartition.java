package armor.pruner.run;

import java.util.Arrays;
import java.util.Comparator;
import java.util.stream.IntStream;

/**
 * A deterministic, cost-balanced split of work items over {@code n} bins: items largest first (ties in their
 * given order), each to the bin with the least cost so far (ties to the lowest bin). It depends on the costs alone,
 * so every worker computes the same split without talking to the others. Used for shards over machines and, in
 * {@code --plan}, for matrices over one machine's threads.
 */
public final class ShardPartition {
    private ShardPartition() {}

    /** The bin of each item. */
    public static int[] assign(long[] costs, int bins) {
        if (bins < 1) throw new IllegalArgumentException("bins " + bins + ", expected at least 1");
        Integer[] order = IntStream.range(0, costs.length).boxed().toArray(Integer[]::new);
        Arrays.sort(order, Comparator.comparingLong((Integer i) -> costs[i]).reversed()
                .thenComparingInt(i -> i));
        long[] load = new long[bins];
        int[] owner = new int[costs.length];
        for (int i : order) {
            int best = 0;
            for (int b = 1; b < bins; b++) if (load[b] < load[best]) best = b;
            owner[i] = best;
            load[best] += costs[i];
        }
        return owner;
    }

    /** The largest bin total of {@link #assign}: the makespan. */
    public static double makespan(double[] costs, int bins) {
        long[] scaled = new long[costs.length];
        double max = Arrays.stream(costs).max().orElse(0);
        double unit = max > 0 ? max / 1e12 : 1;
        for (int i = 0; i < costs.length; i++) scaled[i] = Math.round(costs[i] / unit);
        int[] owner = assign(scaled, bins);
        double[] load = new double[bins];
        for (int i = 0; i < costs.length; i++) load[owner[i]] += costs[i];
        return Arrays.stream(load).max().orElse(0);
    }
}
