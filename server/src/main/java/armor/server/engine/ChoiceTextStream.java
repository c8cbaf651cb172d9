package armor.server.engine;

import armor.server.scheduler.FinishReason;
import armor.server.scheduler.SequenceListener;
import armor.server.scheduler.TokenLogprob;
import armor.tokenizer.StreamDecoder;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * Turns one choice's token ids into text deltas: incremental detokenization, stop strings held back and cut, and
 * each token's logprob entry released together with the text it completes.
 */
final class ChoiceTextStream implements SequenceListener {
    private final int choice;
    private final StreamDecoder decoder;
    private final StopStringMatcher stops;
    private final TokenTexts texts;
    private final ChoiceListener out;
    private final String echoText;
    private final int[] promptIds;
    private boolean echoed;
    /** A logprob entry whose text is not yet released, with the end offset of its text in the choice's text. */
    private record Pending(TextLogprob entry, long textEnd) {}

    private final ArrayDeque<Pending> pendingLogprobs = new ArrayDeque<>();
    private long producedChars; // text produced by the detokenizer so far
    private long releasedChars; // text handed to the listener so far

    /** With {@code echoText} non-null the prompt is echoed first ({@code promptIds} name its tokens' entries). */
    ChoiceTextStream(int choice, StreamDecoder decoder, List<String> stops, TokenTexts texts, String echoText,
                     int[] promptIds, ChoiceListener out) {
        this.promptIds = promptIds;
        this.choice = choice;
        this.decoder = decoder;
        this.stops = new StopStringMatcher(stops);
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
        out.onText(choice, echoText, entries);
    }

    @Override
    public boolean onToken(int token, TokenLogprob logprob) {
        if (!echoed && echoText != null) emitEcho(null);
        String piece = decoder.next(token);
        producedChars += piece.length();
        if (logprob != null) pendingLogprobs.addLast(new Pending(texts.entry(logprob), producedChars));
        String safe = stops.push(piece);
        release(safe);
        return !stops.stopped();
    }

    @Override
    public void onFinish(FinishReason reason, int generatedTokens) {
        if (!echoed && echoText != null) emitEcho(null);
        if (!stops.stopped()) {
            String tail = decoder.flush();
            producedChars += tail.length();
            String safe = stops.push(tail);
            if (!stops.stopped()) safe += stops.flush();
            release(safe);
            if (!pendingLogprobs.isEmpty() && !stops.stopped()) release("");
        }
        out.onFinish(choice, reason.apiName(), generatedTokens);
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
            boolean all = !stops.stopped() && releasedChars == producedChars;
            while (!pendingLogprobs.isEmpty() && (all || pendingLogprobs.peekFirst().textEnd() <= releasedChars)) {
                entries.add(pendingLogprobs.pollFirst().entry());
            }
        }
        if (!text.isEmpty() || !entries.isEmpty()) out.onText(choice, text, entries);
    }
}
