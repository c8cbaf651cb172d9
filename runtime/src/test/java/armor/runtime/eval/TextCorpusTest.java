package armor.runtime.eval;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TextCorpusTest {
    @Test
    void jsonLinesRowsJoinWithBlankLinesAsWikiTextScriptsDo(@TempDir Path tmp) throws IOException {
        Path rows = tmp.resolve("wiki.jsonl");
        Files.writeString(rows, "{\"text\": \" = Title = \\n\"}\n\n{\"text\": \"\"}\n{\"text\": \"Body é\"}\n");
        assertEquals(" = Title = \n\n\n\n\nBody é", TextCorpus.read(rows));
        Path plain = tmp.resolve("plain.txt");
        Files.writeString(plain, "{\"text\": \"not parsed\"}\n");
        assertEquals("{\"text\": \"not parsed\"}\n", TextCorpus.read(plain));
    }

    @Test
    void badRowsMissingFilesAndFoldersAreNamed(@TempDir Path tmp) throws IOException {
        Path rows = tmp.resolve("bad.jsonl");
        Files.writeString(rows, "{\"text\": \"ok\"}\n{\"txt\": 1}\n");
        assertTrue(assertThrows(IOException.class, () -> TextCorpus.read(rows)).getMessage()
                .equals(rows + ": line 2 has no string field \"text\""));
        Files.writeString(rows, "[oops\n");
        assertTrue(assertThrows(IOException.class, () -> TextCorpus.read(rows)).getMessage()
                .startsWith(rows + ": line 1 is not a JSON object"));
        assertEquals(tmp + "/none.txt: text file not found",
                assertThrows(IOException.class, () -> TextCorpus.read(tmp.resolve("none.txt"))).getMessage());
        assertEquals(tmp + ": is a folder, expected a text file",
                assertThrows(IOException.class, () -> TextCorpus.read(tmp)).getMessage());
    }
}
