package armor.runtime.sparse;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Which projections of a loaded model run sparse and which dense, and why: what the CLI says at load.
 *
 * @param format   what the folder stores (see {@link Sparse24View#format()})
 * @param declared true when the folder declares sparsity (a sparsity_config or compressed-tensors block)
 * @param sparse   projection prefix → layer kind ("2:4", "armor"), in load order
 * @param dense    projection prefix → why it runs dense ("not 2:4", "--sparse off", ...), in load order
 */
public record SparsityReport(String format, boolean declared, Map<String, String> sparse, Map<String, String> dense) {
    /** How many names a group of dense projections lists before it says "and N more". */
    private static final int LISTED = 3;

    public SparsityReport {
        sparse = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(sparse));
        dense = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(dense));
    }

    /** Whether the load is worth a line: something runs sparse, or the folder says it should. */
    public boolean worthSaying() {
        return declared || !sparse.isEmpty();
    }

    /**
     * One line, e.g. {@code "compressed-tensors sparse-24-bitmask 2:4: 35 of 35 projections run as 2:4"} or
     * {@code "dense checkpoint: 28 of 35 projections run as 2:4; dense: 7 not 2:4 (model.layers.0.self_attn.q_proj, ...)"}.
     */
    public String summary() {
        int total = sparse.size() + dense.size();
        Map<String, Integer> kinds = new LinkedHashMap<>();
        sparse.values().forEach(k -> kinds.merge(k, 1, Integer::sum));
        StringBuilder b = new StringBuilder(format).append(": ").append(sparse.size()).append(" of ").append(total)
                .append(" projections run ");
        if (kinds.size() == 1) b.append("as ").append(kinds.keySet().iterator().next());
        else if (kinds.isEmpty()) b.append("sparse");
        else {
            List<String> parts = new ArrayList<>();
            kinds.forEach((k, n) -> parts.add(n + " as " + k));
            b.append("sparse (").append(String.join(", ", parts)).append(')');
        }
        Map<String, List<String>> byReason = new LinkedHashMap<>();
        dense.forEach((p, why) -> byReason.computeIfAbsent(why, w -> new ArrayList<>()).add(p));
        List<String> groups = new ArrayList<>();
        byReason.forEach((why, ps) -> {
            String names = String.join(", ", ps.subList(0, Math.min(LISTED, ps.size())))
                    + (ps.size() > LISTED ? " and " + (ps.size() - LISTED) + " more" : "");
            groups.add(ps.size() == total ? "all (" + why + ")" : ps.size() + " " + why + " (" + names + ")");
        });
        if (!groups.isEmpty()) b.append("; dense: ").append(String.join("; ", groups));
        return b.toString();
    }
}
