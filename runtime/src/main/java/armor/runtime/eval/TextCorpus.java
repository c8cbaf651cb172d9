package armor.runtime.eval;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads an evaluation text: a plain text file as is, or JSON lines with a {@code "text"} field per row (the
 * Hugging Face datasets export, e.g. WikiText-2 raw) joined with "\n\n" as the usual WikiText perplexity scripts do.
 */
public final class TextCorpus {
    private TextCorpus() {}

    public static String read(Path file) throws IOException {
        String content = readFile(file, "text file");
        if (!isJsonLines(file)) return content;
        return String.join("\n\n", jsonLinesTexts(file, content));
    }

    /** Whether a file is read as JSON lines, one {@code {"text": ...}} row a line (by its name: .json, .jsonl). */
    public static boolean isJsonLines(Path file) {
        String name = file.getFileName().toString();
        return name.endsWith(".json") || name.endsWith(".jsonl");
    }

    /** A UTF-8 file's content; a missing file or a folder is an error naming the file as {@code what}. */
    public static String readFile(Path file, String what) throws IOException {
        if (Files.isDirectory(file)) throw new IOException(file + ": is a folder, expected a " + what);
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new NoSuchFileException(file + ": " + what + " not found");
        }
    }

    /** The "text" field of every row of a JSON-lines file's content, in order (blank texts included). */
    public static List<String> jsonLinesTexts(Path file, String content) throws IOException {
        ObjectMapper json = new ObjectMapper();
        List<String> rows = new ArrayList<>();
        int lineNo = 0;
        for (String line : content.split("\n")) {
            lineNo++;
            if (line.isBlank()) continue;
            JsonNode row;
            try {
                row = json.readTree(line);
            } catch (IOException e) {
                throw new IOException(file + ": line " + lineNo + " is not a JSON object, expected {\"text\": ...} per line");
            }
            JsonNode text = row == null ? null : row.get("text");
            if (text == null || !text.isTextual()) {
                throw new IOException(file + ": line " + lineNo + " has no string field \"text\"");
            }
            rows.add(text.asText());
        }
        return rows;
    }
}
