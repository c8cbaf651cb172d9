package armor.server.engine;

import java.util.List;

/**
 * One token's logprob as the API reports it: the token's text and UTF-8 bytes, its log-probability (null for the
 * first prompt token, which has no context), and the most likely alternatives at that position.
 */
public record TextLogprob(String token, byte[] bytes, Float logprob, List<Alternative> top) {
    public record Alternative(String token, byte[] bytes, float logprob) {}
}
