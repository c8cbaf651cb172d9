package armor.server.engine;

import armor.tokenizer.Tokenizer;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

/** Logprob token bytes: pieces of multi-byte characters report the raw byte they stand for, whole tokens their UTF-8. */
class TokenTextsTest {
    static final Path MODELS = Path.of(System.getProperty("armor.shared", "../shared")).resolve("models");

    @Test
    void sentencepieceByteFallbackTokens() throws Exception {
        Tokenizer tok = Tokenizer.load(MODELS.resolve("llama2-tokenizer"));
        TokenTexts texts = new TokenTexts(tok);
        int e2 = tok.tokenToId("<0xE2>").orElseThrow();
        assertTrue(texts.text(e2).contains("\uFFFD"), "alone, a lead byte is no character");
        assertArrayEquals(new byte[] {(byte) 0xE2}, texts.bytes(e2));
        int the = tok.tokenToId("▁the").orElseThrow();
        assertArrayEquals(texts.text(the).getBytes(StandardCharsets.UTF_8), texts.bytes(the));
    }

    @Test
    void byteLevelTokens() throws Exception {
        Tokenizer tok = Tokenizer.load(MODELS.resolve("qwen2.5-tokenizer"));
        TokenTexts texts = new TokenTexts(tok);
        // GPT-2's alphabet: byte 0xE2 is written 'â' (itself), byte 0x80 'Ģ' (U+0122, the 35th unprintable byte).
        int e2 = tok.tokenToId("â").orElseThrow(), x80 = tok.tokenToId("Ģ").orElseThrow();
        assertArrayEquals(new byte[] {(byte) 0xE2}, texts.bytes(e2));
        assertArrayEquals(new byte[] {(byte) 0x80}, texts.bytes(x80));
        // "…" is E2 80 A6: the bytes of its pieces join into the character.
        int[] ids = tok.encode("…", false);
        java.io.ByteArrayOutputStream joined = new java.io.ByteArrayOutputStream();
        for (int id : ids) joined.writeBytes(texts.bytes(id));
        assertEquals("…", joined.toString(StandardCharsets.UTF_8));
        int space = tok.tokenToId("Ġthe").orElseThrow();
        assertArrayEquals(" the".getBytes(StandardCharsets.UTF_8), texts.bytes(space));
    }
}
