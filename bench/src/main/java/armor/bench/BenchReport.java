package armor.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.style.Styler;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** The dense vs 2:4 vs ARMOR comparison as a Markdown table, a JSON file and a PNG bar chart. */
public final class BenchReport {
    /** What was measured, and on what. */
    /** @param fmaGflops float32 multiply-add peak of the pool's threads ({@link FmaPeak}), GFLOP/s */
    public record Run(String model, String dtype, int threads, double copyGBs, double triadGBs, double fmaGflops,
                      List<KindComparison.Result> results) {
        KindComparison.Result dense() {
            for (KindComparison.Result r : results) if (r.kind().equals("dense")) return r;
            return null;
        }
    }

    private BenchReport() {}

    public static String markdown(Run run) {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "Model: %s, %s weights, %d threads; measured copy bandwidth %.1f GB/s (triad %.1f GB/s), "
                        + "float32 FMA peak %.0f GFLOP/s%n%n",
                run.model(), run.dtype(), run.threads(), run.copyGBs(), run.triadGBs(), run.fmaGflops()));
        sb.append("| kind | decode tok/s (batch 1) | ± | prefill tok/s (").append(run.results().isEmpty() ? 0 : run.results().get(0).prefillTokens())
                .append(" tokens) | ± | weight bytes | bytes read / token | achieved GB/s | % of copy | prefill GFLOP/s (dense-equiv.) | % of FMA peak | decode × dense | prefill × dense |\n");
        sb.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        KindComparison.Result d = run.dense();
        for (KindComparison.Result r : run.results()) {
            sb.append(String.format(Locale.ROOT, "| %s | %.2f | %.0f%% | %.1f | %.0f%% | %s | %s | %.1f | %.0f%% | %.0f | %.0f%% | %s | %s |%n",
                    r.kind(), r.decodeTokensPerSecond().median(), r.decodeTokensPerSecond().spreadPercent(),
                    r.prefillTokensPerSecond().median(), r.prefillTokensPerSecond().spreadPercent(),
                    bytes(r.weightBytes()), bytes(r.bytesPerToken()), r.decodeGBs(), 100 * r.decodeGBs() / run.copyGBs(),
                    r.prefillGflops(), 100 * r.prefillGflops() / run.fmaGflops(),
                    d == null ? "–" : String.format(Locale.ROOT, "%.2f×", r.decodeTokensPerSecond().median() / d.decodeTokensPerSecond().median()),
                    d == null ? "–" : String.format(Locale.ROOT, "%.2f×", r.prefillTokensPerSecond().median() / d.prefillTokensPerSecond().median())));
        }
        sb.append("\n± is half the min–max range over the repetitions, relative to the median. Prefill GFLOP/s counts the "
                + "decoder projections' multiply-adds as dense (2 × in × out a token), so a 2:4 kind, which does half of them, can "
                + "pass the FMA peak.\n");
        return sb.toString();
    }

    private static String bytes(long b) {
        return String.format(Locale.ROOT, "%.3f GB", b / 1e9);
    }

    public static void writeJson(Run run, Path file) {
        ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        ObjectNode root = json.createObjectNode();
        root.put("model", run.model());
        root.put("dtype", run.dtype());
        root.put("threads", run.threads());
        root.put("copy_gbs", run.copyGBs());
        root.put("triad_gbs", run.triadGBs());
        root.put("fma_peak_gflops", run.fmaGflops());
        root.put("java", System.getProperty("java.version"));
        root.put("os_arch", System.getProperty("os.arch"));
        ArrayNode kinds = root.putArray("kinds");
        KindComparison.Result d = run.dense();
        for (KindComparison.Result r : run.results()) {
            ObjectNode k = kinds.addObject();
            k.put("kind", r.kind());
            stat(k.putObject("decode_tokens_per_s"), r.decodeTokensPerSecond());
            stat(k.putObject("prefill_tokens_per_s"), r.prefillTokensPerSecond());
            k.put("prefill_tokens", r.prefillTokens());
            k.put("weight_bytes", r.weightBytes());
            k.put("bytes_read_per_token", r.bytesPerToken());
            k.put("achieved_gbs", r.decodeGBs());
            k.put("prefill_dense_equivalent_gflops", r.prefillGflops());
            if (d != null) {
                k.put("decode_ratio_to_dense", r.decodeTokensPerSecond().median() / d.decodeTokensPerSecond().median());
                k.put("prefill_ratio_to_dense", r.prefillTokensPerSecond().median() / d.prefillTokensPerSecond().median());
            }
        }
        try {
            writeAtomically(file, json.writeValueAsBytes(root));
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": cannot write: " + e.getMessage(), e);
        }
    }

    private static void stat(ObjectNode o, KindComparison.Stat s) {
        o.put("median", s.median());
        o.put("min", s.min());
        o.put("max", s.max());
    }

    /** Two panels side by side are hard to read at a glance; one chart of tokens/s relative to dense says it all. */
    public static void writeChart(Run run, Path file) {
        KindComparison.Result d = run.dense();
        CategoryChart chart = new CategoryChartBuilder().width(900).height(560)
                .title("armor bench: " + run.model() + " (" + run.dtype() + ", " + run.threads() + " threads)")
                .xAxisTitle("phase").yAxisTitle(d == null ? "tokens/s" : "tokens/s relative to dense").build();
        // below the plot: inside it, the legend sat on the decode bars at the left
        chart.getStyler().setLegendPosition(Styler.LegendPosition.OutsideS);
        chart.getStyler().setLegendLayout(Styler.LegendLayout.Horizontal);
        chart.getStyler().setLabelsVisible(true);
        chart.getStyler().setDecimalPattern("0.00");
        List<String> phases = List.of("decode (batch 1)", "prefill (" + (run.results().isEmpty() ? 0 : run.results().get(0).prefillTokens()) + " tokens)");
        for (KindComparison.Result r : run.results()) {
            List<Double> v = new ArrayList<>();
            v.add(d == null ? r.decodeTokensPerSecond().median() : r.decodeTokensPerSecond().median() / d.decodeTokensPerSecond().median());
            v.add(d == null ? r.prefillTokensPerSecond().median() : r.prefillTokensPerSecond().median() / d.prefillTokensPerSecond().median());
            chart.addSeries(String.format(Locale.ROOT, "%s (%.2f / %.1f tok/s)", r.kind(), r.decodeTokensPerSecond().median(), r.prefillTokensPerSecond().median()), phases, v);
        }
        try {
            byte[] png = BitmapEncoder.getBitmapBytes(chart, BitmapEncoder.BitmapFormat.PNG);
            writeAtomically(file, png);
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": cannot write: " + e.getMessage(), e);
        }
    }

    private static void writeAtomically(Path file, byte[] bytes) throws IOException {
        Path dir = file.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, "." + file.getFileName(), ".tmp");
        try {
            Files.write(tmp, bytes);
            try { // createTempFile makes it owner-only; a report is for everyone
                Files.setPosixFilePermissions(tmp, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
            } catch (UnsupportedOperationException ignored) {
                // not a POSIX file system: keep its defaults
            }
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}
