package armor.server.engine;

import armor.server.scheduler.TokenLogprob;
import armor.tokenizer.Tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;

/** The text of single tokens, for logprob entries; cached, since the same tokens come back again and again. */
final class TokenTexts {
    private final Tokenizer tokenizer;
    private final ConcurrentHashMap<Integer, String> cache = new ConcurrentHashMap<>();

    TokenTexts(Tokenizer tokenizer) {
        this.tokenizer = tokenizer;
    }

    String text(int id) {
        return cache.computeIfAbsent(id, k -> tokenizer.decode(new int[] {k}, false));
    }

    TextLogprob entry(TokenLogprob lp) {
        List<TextLogprob.Alternative> top = new ArrayList<>(lp.topTokens().length);
        for (int k = 0; k < lp.topTokens().length; k++) {
            String t = text(lp.topTokens()[k]);
            top.add(new TextLogprob.Alternative(t, t.getBytes(StandardCharsets.UTF_8), lp.topLogprobs()[k]));
        }
        String t = text(lp.token());
        return new TextLogprob(t, t.getBytes(StandardCharsets.UTF_8), lp.logprob(), top);
    }

    /** The entry of a token that has no logprob (the first prompt token). */
    TextLogprob unscored(int id) {
        String t = text(id);
        return new TextLogprob(t, t.getBytes(StandardCharsets.UTF_8), null, List.of());
    }
}
