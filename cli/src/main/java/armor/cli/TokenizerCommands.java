package armor.cli;

import armor.tokenizer.Tokenizer;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.MalformedInputException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** What the tokenizer debugging commands share: strict UTF-8 stdin, UTF-8 stdout, line splitting. */
final class TokenizerCommands {
    private TokenizerCommands() {}

    static Tokenizer load(Path modelDir) throws IOException {
        return Tokenizer.load(modelDir);
    }

    /** All of stdin as text; invalid UTF-8 is an error naming the byte offset. */
    static String readStdinUtf8(InputStream in) throws IOException {
        byte[] bytes = in.readAllBytes();
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer buffer = ByteBuffer.wrap(bytes);
        try {
            return decoder.decode(buffer).toString();
        } catch (MalformedInputException e) {
            throw new IllegalArgumentException("stdin is not valid UTF-8: malformed byte sequence at byte offset "
                    + buffer.position());
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException("stdin is not valid UTF-8 (at byte offset " + buffer.position() + ")");
        }
    }

    /** The lines of a text: split at "\n" (a "\r" before it stays), no empty last line after a final newline. */
    static List<String> lines(String text) {
        List<String> out = new ArrayList<>();
        int from = 0;
        for (int at = text.indexOf('\n'); at >= 0; at = text.indexOf('\n', from)) {
            out.add(text.substring(from, at));
            from = at + 1;
        }
        if (from < text.length()) out.add(text.substring(from));
        return out;
    }

    /** stdout as UTF-8 whatever the platform encoding (System.out would turn non-ASCII into '?' under LANG=C). */
    static PrintStream utf8Out() {
        return new PrintStream(System.out, true, StandardCharsets.UTF_8);
    }

    /** Every id with its vocabulary string and its own decoded text, for reading a tokenization. */
    static String tokensJson(Tokenizer tokenizer, int[] ids) {
        com.fasterxml.jackson.databind.ObjectMapper mapper = new com.fasterxml.jackson.databind.ObjectMapper();
        com.fasterxml.jackson.databind.node.ArrayNode array = mapper.createArrayNode();
        for (int id : ids) {
            array.addObject().put("id", id).put("token", tokenizer.idToToken(id))
                    .put("text", tokenizer.decode(new int[] {id}, false));
        }
        return array.toString();
    }

    static String json(int[] ids) {
        StringBuilder s = new StringBuilder(ids.length * 7 + 2).append('[');
        for (int i = 0; i < ids.length; i++) {
            if (i > 0) s.append(", ");
            s.append(ids[i]);
        }
        return s.append(']').toString();
    }
}
