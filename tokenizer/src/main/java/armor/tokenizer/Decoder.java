package armor.tokenizer;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** A tokenizer.json {@code decoder}: turns token strings back into text, one chain step at a time. */
sealed interface Decoder {
    List<String> decodeChain(List<String> tokens);

    default String decode(List<String> tokens) {
        return String.join("", decodeChain(tokens));
    }

    /** Byte-level tokens back to bytes, then UTF-8 with replacement characters for invalid sequences. */
    record ByteLevelDecoder() implements Decoder {
        @Override
        public List<String> decodeChain(List<String> tokens) {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            for (String t : tokens) {
                boolean allMapped = true;
                for (int i = 0; i < t.length() && allMapped; i++) allMapped = ByteLevel.byteOf(t.charAt(i)) >= 0;
                if (allMapped) {
                    for (int i = 0; i < t.length(); i++) bytes.write(ByteLevel.byteOf(t.charAt(i)));
                } else {
                    // Hugging Face keeps tokens outside the byte table (some added tokens) as their own UTF-8.
                    bytes.writeBytes(t.getBytes(StandardCharsets.UTF_8));
                }
            }
            return List.of(new String(bytes.toByteArray(), StandardCharsets.UTF_8));
        }
    }

    /** {@code <0xNN>} tokens to the bytes they stand for; a run that is not valid UTF-8 gives one U+FFFD a byte. */
    record ByteFallback() implements Decoder {
        @Override
        public List<String> decodeChain(List<String> tokens) {
            List<String> out = new ArrayList<>(tokens.size());
            ByteArrayOutputStream pending = new ByteArrayOutputStream();
            int pendingCount = 0;
            for (String t : tokens) {
                int b = byteToken(t);
                if (b >= 0) {
                    pending.write(b);
                    pendingCount++;
                    continue;
                }
                if (pendingCount > 0) {
                    flush(pending, pendingCount, out);
                    pending.reset();
                    pendingCount = 0;
                }
                out.add(t);
            }
            if (pendingCount > 0) flush(pending, pendingCount, out);
            return out;
        }

        private static void flush(ByteArrayOutputStream pending, int count, List<String> out) {
            try {
                out.add(StandardCharsets.UTF_8.newDecoder()
                        .onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT)
                        .decode(ByteBuffer.wrap(pending.toByteArray())).toString());
            } catch (CharacterCodingException e) {
                for (int i = 0; i < count; i++) out.add("\uFFFD");
            }
        }

        static int byteToken(String t) {
            if (t.length() != 6 || !t.startsWith("<0x") || t.charAt(5) != '>') return -1;
            int hi = Character.digit(t.charAt(3), 16);
            int lo = Character.digit(t.charAt(4), 16);
            return hi < 0 || lo < 0 ? -1 : hi * 16 + lo;
        }
    }

    /** Joins all tokens into one. */
    record Fuse() implements Decoder {
        @Override
        public List<String> decodeChain(List<String> tokens) {
            return List.of(String.join("", tokens));
        }
    }

    /** Replaces a literal string in every token ("▁" to " " for sentencepiece vocabularies). */
    record Replace(String pattern, String content) implements Decoder {
        @Override
        public List<String> decodeChain(List<String> tokens) {
            List<String> out = new ArrayList<>(tokens.size());
            for (String t : tokens) out.add(t.replace(pattern, content));
            return out;
        }
    }

    /** Removes up to {@code start} leading and {@code stop} trailing {@code content} characters of every token. */
    record Strip(char content, int start, int stop) implements Decoder {
        @Override
        public List<String> decodeChain(List<String> tokens) {
            List<String> out = new ArrayList<>(tokens.size());
            for (String t : tokens) {
                int from = 0;
                while (from < start && from < t.length() && t.charAt(from) == content) from++;
                int to = t.length();
                while (t.length() - to < stop && to > from && t.charAt(to - 1) == content) to--;
                out.add(t.substring(from, to));
            }
            return out;
        }
    }

    /**
     * "▁" back to spaces. As in Hugging Face, when the pre-tokenizer prepends "▁", every "▁" of the first token
     * is dropped (not only the prepended one).
     */
    record Metaspace(char replacement, boolean prependsReplacement) implements Decoder {
        @Override
        public List<String> decodeChain(List<String> tokens) {
            List<String> out = new ArrayList<>(tokens.size());
            for (int i = 0; i < tokens.size(); i++) {
                String t = tokens.get(i);
                out.add(i == 0 && prependsReplacement ? t.replace(String.valueOf(replacement), "") : t.replace(replacement, ' '));
            }
            return out;
        }
    }

    /** Applies the steps in order. */
    record Sequence(List<Decoder> steps) implements Decoder {
        @Override
        public List<String> decodeChain(List<String> tokens) {
            for (Decoder d : steps) tokens = d.decodeChain(tokens);
            return tokens;
        }
    }
}
