package armor.runtime.chat;

import armor.runtime.generate.GenerationResult;
import armor.runtime.generate.Generator;
import armor.runtime.generate.SamplingParams;
import armor.runtime.generate.StopConditions;
import armor.runtime.generate.TokenListener;
import armor.runtime.model.Model;
import armor.runtime.model.SequenceState;
import armor.tokenizer.ChatMessage;
import armor.tokenizer.ChatTemplate;
import armor.tokenizer.PlainChatTemplate;
import armor.tokenizer.Tokenizer;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A multi-turn conversation with one model. Every turn renders the whole conversation with the chat template and
 * encodes it; the KV cache keeps the tokens the previous turns already processed, so only the part after the
 * longest common prefix with them is prefilled (all of it when the new rendering does not extend the old one).
 * {@code armor chat} drives it from the terminal; the stop policy is the server's ({@link armor.runtime.generate.StopPolicy}).
 */
public final class ChatSession implements AutoCloseable {
    private final Model model;
    private final Tokenizer tokenizer;
    private final ChatTemplate template;
    private final boolean plainTemplate;
    private final String system;
    private final SamplingParams params;
    private final StopConditions stop;
    private final Generator generator;
    private final List<ChatMessage> messages = new ArrayList<>();
    private SequenceState sequence;
    /** The tokens whose keys and values the sequence's cache holds, in order. */
    private int[] cached = new int[0];
    private int reusedLastTurn;
    /** Turns sent so far: turn i samples with seed + i, so turns do not repeat one random stream. */
    private int turns;

    /** @param system the system message, or null for none */
    public ChatSession(Model model, Tokenizer tokenizer, String system, SamplingParams params, StopConditions stop) {
        this.model = model;
        this.tokenizer = tokenizer;
        this.template = tokenizer.chatTemplateOrPlain();
        this.plainTemplate = template instanceof PlainChatTemplate;
        this.system = system;
        this.params = params;
        this.stop = stop;
        this.generator = new Generator(model, tokenizer); // its StopPolicy ends a reply at the template's end of turn
        this.sequence = model.newSequence(256);
        reset();
    }

    /** Forgets the conversation (the system message stays). */
    public void reset() {
        messages.clear();
        if (system != null) messages.add(new ChatMessage("system", system));
        sequence.truncate(0);
        cached = new int[0];
    }

    /** Adds the user's message, streams the reply to {@code listener}, and adds the reply to the conversation. */
    public GenerationResult send(String userText, TokenListener listener) {
        messages.add(new ChatMessage("user", userText));
        int[] prompt;
        try {
            // a real template writes its own BOS; the plain fallback is an ordinary prompt (as generate encodes it)
            prompt = tokenizer.encode(template.render(messages, true), plainTemplate);
        } catch (RuntimeException e) {
            messages.removeLast();
            throw e;
        }
        int context = model.config().maxPositions();
        if (prompt.length >= context) {
            messages.removeLast();
            throw new IllegalArgumentException("the conversation is " + prompt.length + " tokens, the context length is "
                    + context + " (max_position_embeddings in config.json): /reset to start over");
        }
        // at least one prompt token must be prefilled again: its logits pick the first reply token
        int keep = Math.min(commonPrefix(cached, prompt), prompt.length - 1);
        sequence.truncate(keep);
        reusedLastTurn = keep;
        GenerationResult r;
        try {
            r = generator.generate(sequence, prompt, params.withSeed(params.seed() + turns++), stop, listener);
        } catch (RuntimeException e) {
            messages.removeLast();
            sequence.truncate(0);
            cached = new int[0];
            throw e;
        }
        int[] all = Arrays.copyOf(prompt, prompt.length + r.tokens().length);
        System.arraycopy(r.tokens(), 0, all, prompt.length, r.tokens().length);
        cached = Arrays.copyOf(all, sequence.length());
        messages.add(new ChatMessage("assistant", r.text()));
        return r;
    }

    /** Prompt tokens of the last turn whose cache entries were kept from earlier turns. */
    public int reusedLastTurn() {
        return reusedLastTurn;
    }

    private static int commonPrefix(int[] a, int[] b) {
        int n = Math.min(a.length, b.length);
        int i = Arrays.mismatch(a, 0, n, b, 0, n);
        return i < 0 ? n : i;
    }

    @Override
    public void close() {
        sequence.free();
    }
}
