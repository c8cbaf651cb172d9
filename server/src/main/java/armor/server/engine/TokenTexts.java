package armor.server.engine;

import armor.runtime.generate.TokenLogprob;
import armor.tokenizer.Tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The text and bytes of single tokens, for logprob entries; cached, since the same tokens come back again and again.
 * A token that is part of a multi-byte character decodes to U+FFFD on its own; its {@code bytes} are then the raw
 * bytes it stands for (sentencepiece byte fallback {@code <0xE2>}, or GPT-2's byte-level alphabet), as OpenAI
 * reports them, so that clients can join the bytes of consecutive tokens into the character.
 */
final class TokenTexts {
    private final Tokenizer tokenizer;
    private final ConcurrentHashMap<Integer, String> cache = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<Integer, byte[]> bytesCache = new ConcurrentHashMap<>();
    /** GPT-2's bytes_to_unicode, inverted: the byte each character of a byte-level vocabulary entry stands for. */
    private static final int[] BYTE_OF_CHAR = byteLevelInverse();

    TokenTexts(Tokenizer tokenizer) {
        this.tokenizer = tokenizer;
    }

    String text(int id) {
        return cache.computeIfAbsent(id, k -> tokenizer.decode(new int[] {k}, false));
    }

    byte[] bytes(int id) {
        return bytesCache.computeIfAbsent(id, k -> {
            String text = text(k);
            if (text.indexOf('\uFFFD') < 0) return text.getBytes(StandardCharsets.UTF_8);
            String piece = tokenizer.idToToken(k);
            if (piece.length() == 6 && piece.startsWith("<0x") && piece.endsWith(">")) {
                try {
                    return new byte[] {(byte) Integer.parseInt(piece.substring(3, 5), 16)};
                } catch (NumberFormatException e) {
                    return text.getBytes(StandardCharsets.UTF_8);
                }
            }
            byte[] raw = new byte[piece.length()];
            for (int i = 0; i < raw.length; i++) {
                char c = piece.charAt(i);
                if (c >= BYTE_OF_CHAR.length || BYTE_OF_CHAR[c] < 0) return text.getBytes(StandardCharsets.UTF_8);
                raw[i] = (byte) BYTE_OF_CHAR[c];
            }
            return raw;
        });
    }

    private static int[] byteLevelInverse() {
        int[] inv = new int[256 + 256];
        Arrays.fill(inv, -1);
        int extra = 0;
        for (int b = 0; b < 256; b++) {
            boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            inv[printable ? b : 256 + extra++] = b;
        }
        return inv;
    }

    TextLogprob entry(TokenLogprob lp) {
        List<TextLogprob.Alternative> top = new ArrayList<>(lp.topTokens().length);
        for (int k = 0; k < lp.topTokens().length; k++) {
            int id = lp.topTokens()[k];
            top.add(new TextLogprob.Alternative(text(id), bytes(id), lp.topLogprobs()[k]));
        }
        return new TextLogprob(text(lp.token()), bytes(lp.token()), lp.logprob(), top);
    }

    /** The entry of a token that has no logprob (the first prompt token). */
    TextLogprob unscored(int id) {
        return new TextLogprob(text(id), bytes(id), null, List.of());
    }
}
