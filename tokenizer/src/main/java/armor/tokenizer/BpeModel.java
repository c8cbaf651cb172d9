package armor.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The BPE model of tokenizer.json ({@code "model": {"type": "BPE"}}): turns one pre-tokenized word into ids by
 * starting from single characters (or single bytes for byte-level vocabularies) and applying the merges in rank
 * order, lowest rank first and leftmost first among equal ranks, exactly as Hugging Face tokenizers does.
 */
final class BpeModel {
    private static final int NO_MERGE = Integer.MAX_VALUE;
    private static final int CACHE_LIMIT = 200_000;
    private static final int CACHED_WORD_MAX_CHARS = 128;

    private final Map<String, Integer> vocab;
    private final String[] idToToken;
    private final PairTable merges;
    private final int[] mergeResult;
    private final int unkId;
    private final boolean fuseUnk;
    private final boolean ignoreMerges;
    private final String continuingSubwordPrefix;
    private final String endOfWordSuffix;
    /** Words are byte-level mapped (GPT-2 style) before the model sees them. */
    private final boolean byteLevel;
    /** Id of each byte's byte-level character, for byte-level vocabularies. */
    private final int[] byteLevelIds = new int[256];
    /** Id of each {@code <0xNN>} token, or -1; all -1 when byte fallback is off. */
    private final int[] byteFallbackIds = new int[256];
    private final boolean byteFallback;
    private final ConcurrentHashMap<String, int[]> cache = new ConcurrentHashMap<>();

    /**
     * @param merges pairs of token strings in rank order (rank = index)
     */
    BpeModel(Map<String, Integer> vocab, java.util.List<String[]> merges, String unkToken, boolean fuseUnk,
             boolean byteFallback, boolean ignoreMerges, String continuingSubwordPrefix, String endOfWordSuffix,
             boolean byteLevel) {
        this.vocab = vocab;
        int maxId = -1;
        for (int id : vocab.values()) maxId = Math.max(maxId, id);
        this.idToToken = new String[maxId + 1];
        for (Map.Entry<String, Integer> e : vocab.entrySet()) idToToken[e.getValue()] = e.getKey();
        this.continuingSubwordPrefix = emptyToNull(continuingSubwordPrefix);
        this.endOfWordSuffix = emptyToNull(endOfWordSuffix);
        this.merges = new PairTable(merges.size());
        this.mergeResult = new int[merges.size()];
        int prefixLength = this.continuingSubwordPrefix == null ? 0 : this.continuingSubwordPrefix.length();
        for (int rank = 0; rank < merges.size(); rank++) {
            String[] m = merges.get(rank);
            Integer a = vocab.get(m[0]);
            Integer b = vocab.get(m[1]);
            if (a == null || b == null) {
                throw new IllegalArgumentException("BPE merge " + rank + " '" + m[0] + " " + m[1]
                        + "' uses a token that is not in the vocabulary");
            }
            // With a continuing-subword prefix ("##"), "a" + "##b" merges into "ab".
            String right = prefixLength > 0 && m[1].startsWith(this.continuingSubwordPrefix)
                    ? m[1].substring(prefixLength) : m[1];
            String merged = m[0] + right;
            Integer c = vocab.get(merged);
            if (c == null) {
                throw new IllegalArgumentException("BPE merge " + rank + " '" + m[0] + " " + m[1]
                        + "' produces '" + merged + "', which is not in the vocabulary");
            }
            if (this.merges.get(a, b) == NO_MERGE) this.merges.put(a, b, rank); // first (lowest) rank wins
            mergeResult[rank] = c;
        }
        if (unkToken != null && !vocab.containsKey(unkToken)) {
            throw new IllegalArgumentException("BPE unk_token '" + unkToken + "' is not in the vocabulary");
        }
        this.unkId = unkToken == null ? -1 : vocab.get(unkToken);
        this.fuseUnk = fuseUnk;
        this.byteFallback = byteFallback;
        this.ignoreMerges = ignoreMerges;
        this.byteLevel = byteLevel;
        for (int b = 0; b < 256; b++) {
            Integer id = vocab.get(String.valueOf(ByteLevel.charOf(b)));
            byteLevelIds[b] = id == null ? -1 : id;
            Integer fb = byteFallback ? vocab.get(String.format("<0x%02X>", b)) : null;
            byteFallbackIds[b] = fb == null ? -1 : fb;
        }
    }

    private static String emptyToNull(String s) {
        return s == null || s.isEmpty() ? null : s;
    }

    /** Size of the model's own vocabulary (max id + 1). */
    int size() {
        return idToToken.length;
    }

    String idToToken(int id) {
        return id >= 0 && id < idToToken.length ? idToToken[id] : null;
    }

    Integer tokenToId(String token) {
        return vocab.get(token);
    }

    /** Appends the ids of one pre-tokenized word (not yet byte-level mapped). */
    void encodeWord(String word, IdBuffer out) {
        if (word.isEmpty()) return;
        int[] cached = cache.get(word);
        if (cached == null) {
            cached = byteLevel ? encodeByteLevel(word) : encodeChars(word);
            if (word.length() <= CACHED_WORD_MAX_CHARS) {
                if (cache.size() >= CACHE_LIMIT) cache.clear();
                cache.put(word, cached);
            }
        }
        out.addAll(cached);
    }

    private int[] encodeByteLevel(String word) {
        byte[] utf8 = word.getBytes(StandardCharsets.UTF_8);
        if (ignoreMerges) {
            char[] mapped = new char[utf8.length];
            for (int i = 0; i < utf8.length; i++) mapped[i] = ByteLevel.charOf(utf8[i] & 0xFF);
            Integer whole = vocab.get(new String(mapped));
            if (whole != null) return new int[] {whole};
        }
        int[] symbols = new int[utf8.length];
        int n = 0;
        int pendingUnk = -1;
        for (byte value : utf8) {
            int id = byteLevelIds[value & 0xFF];
            if (id < 0) {
                if (unkId < 0) {
                    throw new IllegalArgumentException("byte 0x" + Integer.toHexString(value & 0xFF)
                            + " has no byte-level token and the BPE model has no unk_token");
                }
                if (!(fuseUnk && pendingUnk >= 0)) symbols[n++] = unkId;
                pendingUnk = unkId;
                continue;
            }
            pendingUnk = -1;
            symbols[n++] = id;
        }
        return mergeAll(symbols, n);
    }

    /** Character-level start (sentencepiece-style vocabularies), with byte fallback and unk fusing. */
    private int[] encodeChars(String word) {
        if (ignoreMerges) {
            Integer whole = vocab.get(word);
            if (whole != null) return new int[] {whole};
        }
        int[] symbols = new int[word.length() * 4];
        int n = 0;
        boolean pendingUnk = false;
        for (int i = 0; i < word.length(); ) {
            int cp = word.codePointAt(i);
            int end = i + Character.charCount(cp);
            String piece = word.substring(i, end);
            if (continuingSubwordPrefix != null && i > 0) piece = continuingSubwordPrefix + piece;
            if (endOfWordSuffix != null && end == word.length()) piece = piece + endOfWordSuffix;
            i = end;
            Integer id = vocab.get(piece);
            if (id != null) {
                if (pendingUnk) symbols[n++] = unkId;
                pendingUnk = false;
                symbols[n++] = id;
                continue;
            }
            if (byteFallback) {
                byte[] bytes = piece.getBytes(StandardCharsets.UTF_8);
                boolean all = true;
                for (byte b : bytes) all &= byteFallbackIds[b & 0xFF] >= 0;
                if (all) {
                    // Hugging Face keeps a pending unk across byte-fallback pieces; it is flushed later.
                    for (byte b : bytes) symbols[n++] = byteFallbackIds[b & 0xFF];
                    continue;
                }
            }
            if (unkId < 0) continue; // Hugging Face silently drops characters it cannot represent
            if (pendingUnk && !fuseUnk) symbols[n++] = unkId;
            pendingUnk = true;
        }
        if (pendingUnk) symbols[n++] = unkId;
        return mergeAll(symbols, n);
    }

    /** Words longer than this are merged with a heap (n log n) instead of rescanning all pairs (n²). */
    static final int HEAP_MERGE_THRESHOLD = 48;

    /** Applies merges to {@code symbols[0..n)}: lowest rank first, leftmost among equal ranks. */
    int[] mergeAll(int[] symbols, int n) {
        return n > HEAP_MERGE_THRESHOLD ? mergeWithHeap(symbols, n) : mergeByScanning(symbols, n);
    }

    /** Short words: rescan the pair ranks after each merge; plain arrays, no allocation per merge. */
    int[] mergeByScanning(int[] symbols, int n) {
        if (n >= 2) {
            int[] ranks = new int[n - 1];
            for (int i = 0; i < n - 1; i++) ranks[i] = merges.get(symbols[i], symbols[i + 1]);
            while (n >= 2) {
                int best = NO_MERGE;
                int at = -1;
                for (int i = 0; i < n - 1; i++) {
                    if (ranks[i] < best) {
                        best = ranks[i];
                        at = i;
                    }
                }
                if (at < 0) break;
                symbols[at] = mergeResult[best];
                System.arraycopy(symbols, at + 2, symbols, at + 1, n - at - 2);
                System.arraycopy(ranks, at + 1, ranks, at, n - at - 2);
                n--;
                if (at > 0) ranks[at - 1] = merges.get(symbols[at - 1], symbols[at]);
                if (at < n - 1) ranks[at] = merges.get(symbols[at], symbols[at + 1]);
            }
        }
        return java.util.Arrays.copyOf(symbols, n);
    }

    /**
     * Long words (sentencepiece vocabularies see a whole line as one word): a min-heap of (rank, position)
     * candidates over a linked list of symbols, as Hugging Face does; stale candidates are skipped when popped.
     */
    int[] mergeWithHeap(int[] symbols, int n) {
        int[] ids = java.util.Arrays.copyOf(symbols, n);
        int[] next = new int[n];
        int[] prev = new int[n];
        for (int i = 0; i < n; i++) {
            next[i] = i + 1 < n ? i + 1 : -1;
            prev[i] = i - 1;
        }
        LongMinHeap heap = new LongMinHeap(n);
        for (int i = 0; i + 1 < n; i++) {
            int rank = merges.get(ids[i], ids[i + 1]);
            if (rank != NO_MERGE) heap.push(((long) rank << 32) | i);
        }
        boolean[] dead = new boolean[n];
        int count = n;
        while (!heap.isEmpty()) {
            long top = heap.pop();
            int rank = (int) (top >>> 32);
            int at = (int) top;
            int right = next[at];
            if (dead[at] || right < 0 || merges.get(ids[at], ids[right]) != rank) continue; // stale
            ids[at] = mergeResult[rank];
            dead[right] = true;
            next[at] = next[right];
            if (next[right] >= 0) prev[next[right]] = at;
            count--;
            if (prev[at] >= 0) {
                int r = merges.get(ids[prev[at]], ids[at]);
                if (r != NO_MERGE) heap.push(((long) r << 32) | prev[at]);
            }
            if (next[at] >= 0) {
                int r = merges.get(ids[at], ids[next[at]]);
                if (r != NO_MERGE) heap.push(((long) r << 32) | at);
            }
        }
        int[] out = new int[count];
        int k = 0;
        for (int i = 0; i >= 0; i = next[i]) out[k++] = ids[i];
        return out;
    }

    /** A binary min-heap of longs (rank in the high half, position in the low half). */
    private static final class LongMinHeap {
        private long[] a;
        private int size;

        LongMinHeap(int capacity) {
            a = new long[Math.max(4, capacity)];
        }

        boolean isEmpty() {
            return size == 0;
        }

        void push(long v) {
            if (size == a.length) a = java.util.Arrays.copyOf(a, size * 2);
            int i = size++;
            while (i > 0) {
                int parent = (i - 1) >>> 1;
                if (a[parent] <= v) break;
                a[i] = a[parent];
                i = parent;
            }
            a[i] = v;
        }

        long pop() {
            long top = a[0];
            long last = a[--size];
            int i = 0;
            while (true) {
                int child = 2 * i + 1;
                if (child >= size) break;
                if (child + 1 < size && a[child + 1] < a[child]) child++;
                if (a[child] >= last) break;
                a[i] = a[child];
                i = child;
            }
            a[i] = last;
            return top;
        }
    }

    /**
     * Open-addressing hash map from a pair of ids to the merge rank, without boxing. Key and value sit side by
     * side in one array, so that a lookup (the inner step of merging) touches a single cache line.
     */
    private static final class PairTable {
        private final long[] slots; // [key0, value0, key1, value1, ...]; key -1 marks an empty slot
        private final int mask;

        PairTable(int expected) {
            int capacity = Integer.highestOneBit(Math.max(16, expected * 2)) << 1;
            slots = new long[capacity * 2];
            for (int i = 0; i < slots.length; i += 2) slots[i] = -1L;
            mask = capacity - 1;
        }

        private static int slot(long key) {
            long h = key * 0x9E3779B97F4A7C15L;
            return (int) (h >>> 32) ^ (int) h;
        }

        void put(int a, int b, int value) {
            long key = ((long) a << 32) | (b & 0xFFFFFFFFL);
            int i = slot(key) & mask;
            while (slots[2 * i] != -1L && slots[2 * i] != key) i = (i + 1) & mask;
            slots[2 * i] = key;
            slots[2 * i + 1] = value;
        }

        int get(int a, int b) {
            long key = ((long) a << 32) | (b & 0xFFFFFFFFL);
            int i = slot(key) & mask;
            while (true) {
                long k = slots[2 * i];
                if (k == key) return (int) slots[2 * i + 1];
                if (k == -1L) return NO_MERGE;
                i = (i + 1) & mask;
            }
        }
    }
}
