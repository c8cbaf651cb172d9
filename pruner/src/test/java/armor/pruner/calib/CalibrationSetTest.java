package armor.pruner.calib;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import armor.tokenizer.Tokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CalibrationSetTest {
    static final Path SHARED = Path.of(System.getProperty("armor.shared", "../shared"));
    static final Path MODEL = SHARED.resolve("models/stories260K-hf");

    @TempDir
    Path tmp;

    @Test
    void windowsAreThePerplexityStream() throws IOException {
        Tokenizer tok = Tokenizer.load(MODEL);
        Path text = tmp.resolve("t.txt");
        Files.writeString(text, "Once upon a time there was a cat.\n\nThe cat sat on a mat. It was happy.");
        int[] stream = CalibrationSet.oneStream(tok, Files.readString(text), 1);
        assertEquals(1, stream[0]);
        CalibrationSet w = CalibrationSet.windows(text, tok, 1, 4, 1, 3);
        assertEquals(2, w.samples().size());
        for (int k = 0; k < 2; k++) {
            int[] expected = new int[4];
            System.arraycopy(stream, (1 + k) * 4, expected, 0, 4);
            assertArrayEquals(expected, w.samples().get(k));
        }
        CalibrationSet open = CalibrationSet.windows(text, tok, 1, 4, 0, -1);
        assertEquals(stream.length / 4, open.samples().size());
        assertThrows(IllegalArgumentException.class, () -> CalibrationSet.windows(text, tok, 1, 4, 0, 1000));
    }

    @Test
    void samplesAreSeededFullLengthAndFromTheDocuments() throws IOException {
        Tokenizer tok = Tokenizer.load(MODEL);
        Path jsonl = tmp.resolve("c.jsonl");
        Files.writeString(jsonl, "{\"text\": \"Lily had a red ball. She liked to play.\"}\n\n"
                + "{\"text\": \"Tom saw a big dog in the park.\"}\n{\"text\": \"The sun was hot.\"}\n");
        List<String> docs = CalibrationSet.documents(jsonl);
        assertEquals(3, docs.size());
        CalibrationSet a = CalibrationSet.sample(jsonl, tok, 5, 12, 7);
        CalibrationSet b = CalibrationSet.sample(jsonl, tok, 5, 12, 7);
        CalibrationSet c = CalibrationSet.sample(jsonl, tok, 5, 12, 8);
        boolean differs = false;
        for (int i = 0; i < 5; i++) {
            assertEquals(12, a.samples().get(i).length);
            assertArrayEquals(a.samples().get(i), b.samples().get(i), "same seed, same samples");
            differs |= !java.util.Arrays.equals(a.samples().get(i), c.samples().get(i));
            for (int id : a.samples().get(i)) assertTrue(id != 1, "no BOS inside samples");
        }
        assertTrue(differs, "another seed gives other samples");
        // every sample is a suffix of one document followed by whole documents from their start
        int[][] docIds = docs.stream().map(d -> tok.encode(d, false)).toArray(int[][]::new);
        for (int[] s : a.samples()) assertTrue(isSuffixThenDocs(s, docIds), java.util.Arrays.toString(s));
    }

    private static boolean isSuffixThenDocs(int[] s, int[][] docs) {
        for (int[] first : docs) {
            for (int start = 0; start < first.length; start++) {
                int len = Math.min(s.length, first.length - start);
                if (!java.util.Arrays.equals(s, 0, len, first, start, start + len)) continue;
                if (fillsWithDocs(s, len, docs)) return true;
            }
        }
        return false;
    }

    private static boolean fillsWithDocs(int[] s, int pos, int[][] docs) {
        if (pos == s.length) return true;
        for (int[] d : docs) {
            int len = Math.min(s.length - pos, d.length);
            if (java.util.Arrays.equals(s, pos, pos + len, d, 0, len) && fillsWithDocs(s, pos + len, docs)) return true;
        }
        return false;
    }

    @Test
    void emptyAndTooShortFilesAreRejectedWithTheFileName() throws IOException {
        Tokenizer tok = Tokenizer.load(MODEL);
        Path empty = tmp.resolve("empty.txt");
        Files.writeString(empty, "  \n\n ");
        IOException e1 = assertThrows(IOException.class, () -> CalibrationSet.sample(empty, tok, 4, 16, 0));
        assertTrue(e1.getMessage().contains("empty.txt"), e1.getMessage());
        Path shortText = tmp.resolve("short.txt");
        Files.writeString(shortText, "A cat.");
        IOException e2 = assertThrows(IOException.class, () -> CalibrationSet.sample(shortText, tok, 4, 64, 0));
        assertTrue(e2.getMessage().contains("too short"), e2.getMessage());
        IOException e3 = assertThrows(IOException.class, () -> CalibrationSet.windows(shortText, tok, 1, 64, 0, -1));
        assertTrue(e3.getMessage().contains("too short"), e3.getMessage());
    }
}
