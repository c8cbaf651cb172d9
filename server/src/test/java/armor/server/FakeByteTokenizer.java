package armor.server;

import armor.tokenizer.ChatMessage;
import armor.tokenizer.ChatTemplate;
import armor.tokenizer.StreamDecoder;
import armor.tokenizer.Tokenizer;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * Test double: a byte-level tokenizer (id = byte + 2; 0 is BOS, 1 is EOS) with a trivial chat template. Streaming
 * holds back incomplete UTF-8 sequences, as a real byte-level decoder must.
 */
final class FakeByteTokenizer implements Tokenizer {
    static final int BOS = 0, EOS = 1, VOCAB = 258;

    @Override
    public int[] encode(String text, boolean addSpecialTokens) {
        byte[] b = text.getBytes(StandardCharsets.UTF_8);
        int off = addSpecialTokens ? 1 : 0;
        int[] ids = new int[b.length + off];
        if (addSpecialTokens) ids[0] = BOS;
        for (int i = 0; i < b.length; i++) ids[i + off] = (b[i] & 0xff) + 2;
        return ids;
    }

    @Override
    public String decode(int[] ids, boolean skipSpecialTokens) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int id : ids) {
            if (id < 0 || id >= VOCAB) throw new IllegalArgumentException("id " + id);
            if (id < 2) {
                if (!skipSpecialTokens) out.writeBytes((id == BOS ? "<s>" : "</s>").getBytes(StandardCharsets.UTF_8));
            } else out.write(id - 2);
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    @Override
    public StreamDecoder streamDecoder(boolean skipSpecialTokens, int[] context) { // bytes need no context
        return new StreamDecoder() {
            final ByteArrayOutputStream pending = new ByteArrayOutputStream();

            @Override
            public String next(int id) {
                if (id < 2) return skipSpecialTokens ? "" : decode(new int[] {id}, false);
                pending.write(id - 2);
                byte[] b = pending.toByteArray();
                int complete = completePrefix(b);
                String s = new String(b, 0, complete, StandardCharsets.UTF_8);
                pending.reset();
                pending.write(b, complete, b.length - complete);
                return s;
            }

            @Override
            public String flush() {
                String s = pending.toString(StandardCharsets.UTF_8);
                pending.reset();
                return s;
            }
        };
    }

    /** Length of the longest prefix that does not end inside a UTF-8 sequence. */
    private static int completePrefix(byte[] b) {
        int i = b.length - 1, back = 0;
        while (i >= 0 && back < 4 && (b[i] & 0xC0) == 0x80) {
            i--;
            back++;
        }
        if (i < 0) return b.length;
        int lead = b[i] & 0xff;
        int need = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
        return (b.length - i) >= need ? b.length : i;
    }

    @Override
    public int vocabSize() {
        return VOCAB;
    }

    @Override
    public OptionalInt bosTokenId() {
        return OptionalInt.of(BOS);
    }

    @Override
    public OptionalInt eosTokenId() {
        return OptionalInt.of(EOS);
    }

    @Override
    public Optional<ChatTemplate> chatTemplate() {
        return Optional.of(FakeByteTokenizer::render);
    }

    @Override
    public String idToToken(int id) {
        if (id < 0 || id >= VOCAB) throw new IllegalArgumentException("id " + id);
        return id == BOS ? "<s>" : id == EOS ? "</s>" : String.format("<0x%02X>", id - 2);
    }

    @Override
    public OptionalInt tokenToId(String token) {
        for (int i = 0; i < VOCAB; i++) if (idToToken(i).equals(token)) return OptionalInt.of(i);
        return OptionalInt.empty();
    }

    @Override
    public boolean isSpecial(int id) {
        return id < 2;
    }

    /** "<s>" is not a byte string here; the template writes BOS as text the way HF templates write bos_token. */
    static String render(List<ChatMessage> messages, boolean addGenerationPrompt) {
        StringBuilder sb = new StringBuilder();
        for (ChatMessage m : messages) sb.append('[').append(m.role()).append("] ").append(m.content()).append('\n');
        if (addGenerationPrompt) sb.append("[assistant] ");
        return sb.toString();
    }
}
