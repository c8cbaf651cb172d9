package armor.pruner.calib;

import armor.runtime.eval.TextCorpus;
import armor.tokenizer.Tokenizer;
import armor.runtime.model.Model;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Calibration token sequences, each of exactly {@code seq} tokens, built one of two ways:
 * <ul>
 *   <li>{@link #sample}: the spec's protocol (§5): documents in a seeded random order; each sample starts at a
 *       uniformly random position of the next document and is filled up with whole following documents (each from
 *       its start, the last one truncated); no BOS.</li>
 *   <li>{@link #windows}: windows A to B−1 of the whole text tokenized as one stream with one BOS and cut into
 *       non-overlapping windows of {@code seq} tokens: exactly the perplexity protocol of {@code armor eval ppl}.</li>
 * </ul>
 *
 * @param description what the set is, for the checkpoint's {@code sparsity_config}
 */
public record CalibrationSet(List<int[]> samples, int seq, String description) {

    /**
     * Documents of a calibration file: the rows of a JSON-lines file ({@code {"text": ...}} per line), or the
     * paragraphs (blocks separated by blank lines) of a plain text file. Blank documents are dropped.
     */
    public static List<String> documents(Path file) throws IOException {
        String content = TextCorpus.readFile(file, "calibration text file");
        List<String> docs = new ArrayList<>();
        if (TextCorpus.isJsonLines(file)) {
            for (String text : TextCorpus.jsonLinesTexts(file, content)) if (!text.isBlank()) docs.add(text);
        } else {
            for (String para : content.split("\\n\\s*\\n")) if (!para.isBlank()) docs.add(para.strip());
        }
        if (docs.isEmpty()) throw new IOException(file + ": no text found, expected a non-empty calibration file");
        return docs;
    }

    /** The spec's sampling: {@code count} samples of {@code seq} tokens from the file's documents, seeded. */
    public static CalibrationSet sample(Path file, Tokenizer tok, int count, int seq, long seed) throws IOException {
        if (count < 1 || seq < 2) throw new IllegalArgumentException("--samples " + count + " --seq " + seq
                + ": expected at least 1 sample of at least 2 tokens");
        List<String> docs = documents(file);
        List<int[]> tokenized = new ArrayList<>(docs.size());
        long total = 0;
        for (String d : docs) {
            int[] ids = tok.encode(d, false);
            if (ids.length > 0) tokenized.add(ids);
            total += ids.length;
        }
        if (total < seq) {
            throw new IOException(file + ": " + total + " tokens in all, too short for one sample of --seq " + seq);
        }
        SplittableRandom rnd = new SplittableRandom(seed);
        int[] order = shuffled(tokenized.size(), rnd);
        int next = 0;
        List<int[]> samples = new ArrayList<>(count);
        for (int s = 0; s < count; s++) {
            int[] sample = new int[seq];
            int[] first = tokenized.get(order[next++ % order.length]);
            int start = rnd.nextInt(first.length);
            int filled = Math.min(seq, first.length - start);
            System.arraycopy(first, start, sample, 0, filled);
            while (filled < seq) {
                int[] doc = tokenized.get(order[next++ % order.length]);
                int n = Math.min(seq - filled, doc.length);
                System.arraycopy(doc, 0, sample, filled, n);
                filled += n;
            }
            samples.add(sample);
        }
        return new CalibrationSet(samples, seq, file.getFileName() + " (" + count + " samples of " + seq
                + " tokens, seed " + seed + ")");
    }

    /**
     * Windows {@code [from, to)} of the text as one stream with one BOS, cut into non-overlapping windows of
     * {@code seq} tokens ({@code to < 0}: up to the last whole window).
     */
    public static CalibrationSet windows(Path file, Tokenizer tok, int bos, int seq, int from, int to)
            throws IOException {
        String text = TextCorpus.read(file);
        if (text.isBlank()) throw new IOException(file + ": no text found, expected a non-empty calibration file");
        int[] stream = oneStream(tok, text, bos);
        int available = stream.length / seq;
        int end = to < 0 ? available : to;
        if (available == 0) {
            throw new IOException(file + ": " + stream.length + " tokens, too short for one window of --seq " + seq);
        }
        if (from < 0 || end > available || from >= end) {
            throw new IllegalArgumentException("--windows " + from + ":" + (to < 0 ? "" : to) + " on " + file
                    + ", expected a range within 0:" + available + " (" + stream.length + " tokens, windows of " + seq
                    + ")");
        }
        List<int[]> samples = new ArrayList<>(end - from);
        for (int w = from; w < end; w++) {
            int[] s = new int[seq];
            System.arraycopy(stream, w * seq, s, 0, seq);
            samples.add(s);
        }
        return new CalibrationSet(samples, seq, file.getFileName() + " (windows " + from + ":" + end + " of " + seq
                + " tokens)");
    }

    /**
     * The calibration set of a model: windows {@code A:B} of the file as one stream when {@code windows} is given,
     * else {@code samples} random sequences ({@link #sample}); checks that {@code seq} fits the model's context.
     */
    public static CalibrationSet forModel(Model model, Path file, String windows, int samples, int seq, long seed)
            throws IOException {
        if (seq > model.config().maxPositions()) {
            throw new IllegalArgumentException("--seq " + seq + " exceeds the model's context length "
                    + model.config().maxPositions());
        }
        Tokenizer tok = model.requireTokenizer();
        if (windows == null) return sample(file, tok, samples, seq, seed);
        int[] ab = parseWindows(windows);
        return CalibrationSet.windows(file, tok, tok.bosTokenId().orElse(model.config().bosTokenId()), seq, ab[0], ab[1]);
    }

    /** The text as one token stream with a single BOS at the start (when the model has one). */
    public static int[] oneStream(Tokenizer tok, String text, int bos) {
        int[] body = tok.encode(text, false);
        if (bos < 0) return body;
        int[] stream = new int[body.length + 1];
        stream[0] = bos;
        System.arraycopy(body, 0, stream, 1, body.length);
        return stream;
    }

    /** Parses "A:B", "A:" or ":B"; the end is -1 when omitted. */
    public static int[] parseWindows(String spec) {
        String[] ab = spec.split(":", -1);
        try {
            if (ab.length != 2) throw new NumberFormatException();
            int from = ab[0].isEmpty() ? 0 : Integer.parseInt(ab[0].trim());
            int to = ab[1].isEmpty() ? -1 : Integer.parseInt(ab[1].trim());
            return new int[] {from, to};
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--windows " + spec + ", expected A:B with integers, e.g. 0:64 or 64:");
        }
    }

    public long tokens() {
        return (long) samples.size() * seq;
    }

    private static int[] shuffled(int n, SplittableRandom rnd) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) p[i] = i;
        for (int i = n - 1; i > 0; i--) {
            int j = rnd.nextInt(i + 1);
            int t = p[i];
            p[i] = p[j];
            p[j] = t;
        }
        return p;
    }
}
