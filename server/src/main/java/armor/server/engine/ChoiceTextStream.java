package armor.server.engine;

import armor.runtime.generate.CompletionText;
import armor.runtime.generate.FinishReason;
import armor.runtime.generate.SequenceListener;
import armor.runtime.generate.StopStrings;
import armor.runtime.generate.TokenLogprob;
import armor.tokenizer.StreamDecoder;
import armor.tokenizer.Tokenizer;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Turns one choice's token ids into text deltas: incremental detokenization, stop strings held back and cut, and
 * each token's logprob entry released together with the text it completes; at the end, the choice's exact text.
 */
final class ChoiceTextStream implements SequenceListener {
    private final int choice;
    private final Tokenizer tokenizer;
    private final StreamDecoder decoder;
    private final List<String> stopStrings;
    private final StopStrings stops;
    private final TokenTexts texts;
    private final ChoiceListener out;
    private final String echoText;
    private final int[] promptIds;
    private boolean echoed;
    private int[] generated = new int[16];
    private int generatedCount;
    /** A logprob entry whose text is not yet released, with the end offset of its text in the choice's text. */
    private record Pending(TextLogprob entry, long textEnd) {}

    private final ArrayDeque<Pending> pendingLogprobs = new ArrayDeque<>();
    private long producedChars; // text produced by the detokenizer so far
    private long releasedChars; // text handed to the listener so far
    private int releasedTokens; // generated tokens whose text (or part of it) was handed to the listener

    /** With {@code echoText} non-null the prompt is echoed first ({@code promptIds} name its tokens' entries). */
    ChoiceTextStream(int choice, Tokenizer tokenizer, int[] promptIds, List<String> stops, TokenTexts texts,
                     String echoText, ChoiceListener out) {
        this.promptIds = promptIds;
        this.choice = choice;
        this.tokenizer = tokenizer;
        this.decoder = tokenizer.streamDecoder(true, promptIds);
        this.stopStrings = List.copyOf(stops);
        this.stops = new StopStrings(stops);
        this.texts = texts;
        this.echoText = echoText;
        this.out = out;
    }

    @Override
    public void onPromptLogprobs(TokenLogprob[] perToken) {
        // Echo comes first: the prompt text with the prompt tokens' entries (delivered even without logprobs).
        emitEcho(perToken);
    }

    private void emitEcho(TokenLogprob[] perToken) {
        if (echoed || echoText == null) return;
        echoed = true;
        List<TextLogprob> entries = new ArrayList<>();
        if (perToken != null) {
            for (int i = 0; i < perToken.length; i++) {
                entries.add(perToken[i] == null ? texts.unscored(promptIds[i]) : texts.entry(perToken[i]));
            }
        }
        out.onText(choice, echoText, entries, 0);
    }

    @Override
    public boolean onToken(int token, TokenLogprob logprob) {
        if (!echoed && echoText != null) emitEcho(null);
        if (generatedCount == generated.length) generated = Arrays.copyOf(generated, generatedCount * 2);
        generated[generatedCount++] = token;
        String piece = decoder.next(token);
        producedChars += piece.length();
        if (logprob != null) pendingLogprobs.addLast(new Pending(texts.entry(logprob), producedChars));
        release(stops.accept(piece));
        return !stops.matched();
    }

    @Override
    public void onFinish(FinishReason reason, int generatedTokens) {
        if (!echoed && echoText != null) emitEcho(null);
        if (!stops.matched()) {
            String tail = decoder.flush();
            producedChars += tail.length();
            release(stops.finish(tail));
            if (!pendingLogprobs.isEmpty() && !stops.matched()) release("");
        }
        String text = CompletionText.of(tokenizer, promptIds, Arrays.copyOf(generated, generatedCount), stopStrings);
        out.onFinish(choice, reason.apiName(), generatedTokens, echoText == null ? text : echoText + text);
    }

    @Override
    public void onError(RuntimeException error) {
        out.onError(choice, error);
    }

    private void release(String text) {
        releasedChars += text.length();
        List<TextLogprob> entries = List.of();
        if (!pendingLogprobs.isEmpty()) {
            entries = new ArrayList<>();
            boolean all = !stops.matched() && releasedChars == producedChars;
            while (!pendingLogprobs.isEmpty() && (all || pendingLogprobs.peekFirst().textEnd() <= releasedChars)) {
                entries.add(pendingLogprobs.pollFirst().entry());
            }
        }
        if (!text.isEmpty() || !entries.isEmpty()) {
            int tokens = generatedCount - releasedTokens;
            releasedTokens = generatedCount;
            out.onText(choice, text, entries, tokens);
        }
    }
}
