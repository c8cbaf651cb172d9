package armor.tokenizer;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * tokenizer.json read with a streaming parser: {@code model.vocab} and {@code model.merges} (hundreds of
 * thousands of entries) go straight into a map and a list; everything else becomes an ordinary JSON tree.
 * This loads the 7 MB files of Qwen2.5 and Llama-3 several times faster than building a tree of all of it.
 *
 * @param root   the whole file except {@code model.vocab} and {@code model.merges}
 * @param vocab  {@code model.vocab}, or null if absent
 * @param merges {@code model.merges} as pairs in rank order, or null if absent
 */
record TokenizerJsonFile(JsonNode root, Map<String, Integer> vocab, List<String[]> merges) {
    private static final ObjectMapper JSON = new ObjectMapper();

    static TokenizerJsonFile read(Path file) throws IOException {
        JsonFactory factory = JSON.getFactory();
        try (JsonParser p = factory.createParser(file.toFile())) {
            p.setCodec(JSON);
            if (p.nextToken() != JsonToken.START_OBJECT) throw new IOException(file + ": not a JSON object");
            ObjectNode root = JSON.createObjectNode();
            Map<String, Integer> vocab = null;
            List<String[]> merges = null;
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                p.nextToken();
                if (!field.equals("model") || p.currentToken() != JsonToken.START_OBJECT) {
                    root.set(field, p.readValueAsTree());
                    continue;
                }
                ObjectNode model = JSON.createObjectNode();
                while (p.nextToken() == JsonToken.FIELD_NAME) {
                    String modelField = p.currentName();
                    JsonToken value = p.nextToken();
                    if (modelField.equals("vocab") && value == JsonToken.START_OBJECT) {
                        vocab = readVocab(p, file);
                    } else if (modelField.equals("merges") && value == JsonToken.START_ARRAY) {
                        merges = readMerges(p, file);
                    } else {
                        model.set(modelField, p.readValueAsTree());
                    }
                }
                root.set("model", model);
            }
            return new TokenizerJsonFile(root, vocab, merges);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IOException(file + ": not valid JSON: " + e.getOriginalMessage());
        }
    }

    private static Map<String, Integer> readVocab(JsonParser p, Path file) throws IOException {
        Map<String, Integer> vocab = new HashMap<>(1 << 16);
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String token = p.currentName();
            if (p.nextToken() != JsonToken.VALUE_NUMBER_INT) {
                throw new IOException(file + ": model.vocab[\"" + token + "\"] is " + p.getText() + ", not an integer id");
            }
            vocab.put(token, p.getIntValue());
        }
        return vocab;
    }

    /** Merges are "left right" strings (older files) or [left, right] arrays (newer files). */
    private static List<String[]> readMerges(JsonParser p, Path file) throws IOException {
        List<String[]> merges = new ArrayList<>(1 << 16);
        JsonToken t;
        while ((t = p.nextToken()) != JsonToken.END_ARRAY) {
            int index = merges.size();
            if (t == JsonToken.VALUE_STRING) {
                String s = p.getText();
                int space = s.indexOf(' ', 1);
                if (space < 0) throw new IOException(file + ": model.merges[" + index + "] '" + s + "' is not 'left right'");
                merges.add(new String[] {s.substring(0, space), s.substring(space + 1)});
            } else if (t == JsonToken.START_ARRAY && p.nextToken() == JsonToken.VALUE_STRING) {
                String left = p.getText();
                if (p.nextToken() != JsonToken.VALUE_STRING) {
                    throw new IOException(file + ": model.merges[" + index + "] is not a pair of strings");
                }
                String right = p.getText();
                if (p.nextToken() != JsonToken.END_ARRAY) {
                    throw new IOException(file + ": model.merges[" + index + "] has more than two strings");
                }
                merges.add(new String[] {left, right});
            } else {
                throw new IOException(file + ": model.merges[" + index + "] is neither 'a b' nor [a, b]");
            }
        }
        return merges;
    }
}
