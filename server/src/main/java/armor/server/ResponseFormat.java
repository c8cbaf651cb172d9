package armor.server;

import armor.server.engine.TextLogprob;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.List;

/**
 * The JSON shapes of the two generation endpoints: chat ({@code chat.completion}, {@code message}/{@code delta},
 * logprobs as {@code content} entries) and legacy completions ({@code text_completion}, {@code text}, logprobs as
 * parallel {@code tokens}/{@code token_logprobs}/{@code top_logprobs}/{@code text_offset} arrays).
 */
abstract sealed class ResponseFormat {
    static final ResponseFormat CHAT = new Chat();
    static final ResponseFormat TEXT = new Text();

    abstract String idPrefix();

    abstract String object(boolean chunk);

    /** A choice of a complete response. {@code logprobs} is null when they were not requested. */
    abstract ObjectNode choice(int index, String text, List<TextLogprob> logprobs, int textOffset0, String finish);

    /** A choice of a streamed chunk; {@code first} marks the chunk that opens the choice. */
    abstract ObjectNode chunkChoice(int index, String text, List<TextLogprob> logprobs, int textOffset, String finish,
                                    boolean first);

    static ObjectNode node() {
        return HttpReplies.JSON.createObjectNode();
    }

    private static final class Chat extends ResponseFormat {
        @Override
        String idPrefix() {
            return "chatcmpl-";
        }

        @Override
        String object(boolean chunk) {
            return chunk ? "chat.completion.chunk" : "chat.completion";
        }

        @Override
        ObjectNode choice(int index, String text, List<TextLogprob> logprobs, int textOffset0, String finish) {
            ObjectNode c = node();
            c.put("index", index);
            ObjectNode m = c.putObject("message");
            m.put("role", "assistant");
            m.put("content", text);
            putLogprobs(c, logprobs);
            c.put("finish_reason", finish);
            return c;
        }

        @Override
        ObjectNode chunkChoice(int index, String text, List<TextLogprob> logprobs, int textOffset, String finish,
                               boolean first) {
            ObjectNode c = node();
            c.put("index", index);
            ObjectNode d = c.putObject("delta");
            if (first) d.put("role", "assistant");
            if (text != null) d.put("content", text);
            putLogprobs(c, logprobs);
            c.put("finish_reason", finish);
            return c;
        }

        private static void putLogprobs(ObjectNode c, List<TextLogprob> logprobs) {
            if (logprobs == null) {
                c.putNull("logprobs");
                return;
            }
            ArrayNode content = c.putObject("logprobs").putArray("content");
            for (TextLogprob lp : logprobs) {
                ObjectNode e = content.addObject();
                e.put("token", lp.token());
                e.put("logprob", lp.logprob());
                bytes(e.putArray("bytes"), lp.bytes());
                ArrayNode top = e.putArray("top_logprobs");
                for (TextLogprob.Alternative a : lp.top()) {
                    ObjectNode t = top.addObject();
                    t.put("token", a.token());
                    t.put("logprob", a.logprob());
                    bytes(t.putArray("bytes"), a.bytes());
                }
            }
        }

        private static void bytes(ArrayNode arr, byte[] b) {
            for (byte x : b) arr.add(x & 0xff);
        }
    }

    private static final class Text extends ResponseFormat {
        @Override
        String idPrefix() {
            return "cmpl-";
        }

        @Override
        String object(boolean chunk) {
            return "text_completion";
        }

        @Override
        ObjectNode choice(int index, String text, List<TextLogprob> logprobs, int textOffset0, String finish) {
            return chunkChoice(index, text, logprobs, textOffset0, finish, false);
        }

        @Override
        ObjectNode chunkChoice(int index, String text, List<TextLogprob> logprobs, int textOffset, String finish,
                               boolean first) {
            ObjectNode c = node();
            c.put("index", index);
            c.put("text", text == null ? "" : text);
            if (logprobs == null) c.putNull("logprobs");
            else {
                ObjectNode l = c.putObject("logprobs");
                ArrayNode tokens = l.putArray("tokens");
                ArrayNode tokenLogprobs = l.putArray("token_logprobs");
                ArrayNode top = l.putArray("top_logprobs");
                ArrayNode offsets = l.putArray("text_offset");
                int offset = textOffset;
                for (TextLogprob lp : logprobs) {
                    tokens.add(lp.token());
                    if (lp.logprob() == null) {
                        tokenLogprobs.addNull();
                        top.addNull();
                    } else {
                        tokenLogprobs.add(lp.logprob());
                        ObjectNode t = top.addObject();
                        // Several ids can share a text; the map keeps the likeliest (alternatives come best first).
                        for (TextLogprob.Alternative a : lp.top()) if (!t.has(a.token())) t.put(a.token(), a.logprob());
                    }
                    offsets.add(offset);
                    offset += lp.token().length();
                }
            }
            c.put("finish_reason", finish);
            return c;
        }
    }
}
